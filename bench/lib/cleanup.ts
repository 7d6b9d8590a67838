/**
 * One registry of things a benchmark must undo (child processes, temp dirs, servers), run in reverse order
 * on normal exit, on an exception and on SIGINT/SIGTERM, so a failed or interrupted run leaves nothing behind.
 */
type Undo = () => Promise<void> | void;

const undos: Undo[] = [];
let running: Promise<void> | null = null;

export function onCleanup(undo: Undo): () => void {
  undos.push(undo);
  return () => {
    const i = undos.indexOf(undo);
    if (i >= 0) undos.splice(i, 1);
  };
}

export function cleanupAll(): Promise<void> {
  running ??= (async () => {
    while (undos.length > 0) {
      const undo = undos.pop()!;
      try {
        await undo();
      } catch (err) {
        console.error('cleanup step failed:', err);
      }
    }
  })();
  return running;
}

/** Runs `main` with cleanup guaranteed; sets the exit code. */
export function runBench(name: string, main: () => Promise<void>): void {
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`\n${name}: ${signal}, cleaning up`);
    void cleanupAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  main()
    .then(
      () => cleanupAll(),
      async (err) => {
        console.error(`${name} failed:`, err);
        process.exitCode = 1;
        await cleanupAll();
      },
    )
    .finally(() => {
      // Stray handles (keep-alive sockets, timers of libraries) must not keep a finished benchmark alive.
      setTimeout(() => process.exit(process.exitCode ?? 0), 200).unref();
    });
}
