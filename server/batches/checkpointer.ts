/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the COMMIT that crosses
 * `wal_autocheckpoint`, on the connection that commits: after a 150,000-id paste it copied some 50 MB into the
 * database and synced it, 0.4-1.2 s during which no request was answered (bench:paste). The store turns the
 * automatic checkpoint off and this worker thread, with a connection of its own, runs PASSIVE checkpoints
 * (they never wait for, nor block, the store's readers and writer) every `everyMs`.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** The worker, as plain CommonJS: it needs no TypeScript loader, and `driver` is better-sqlite3's resolved path. */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const done = new Int32Array(workerData.done);
let db = null;
function checkpoint() {
  try {
    db ??= new Database(workerData.path, { fileMustExist: true, timeout: 0 });
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy, or the file went (the store reports that itself): the next round tries again.
  }
}
const timer = setInterval(checkpoint, workerData.everyMs);
parentPort.on('message', () => {
  clearInterval(timer);
  try { db?.close(); } catch {}
  Atomics.store(done, 0, 1);
  Atomics.notify(done, 0);
  parentPort.close();
});
`;

export const CHECKPOINT_EVERY_MS = 1000;
/** The longest `stop` waits for a checkpoint under way (a big one on a slow disk). */
const STOP_WAIT_MS = 10_000;

export function startCheckpointer(path: string, everyMs = CHECKPOINT_EVERY_MS): { stop: () => void } {
  const done = new SharedArrayBuffer(4);
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { path, everyMs, done, driver: createRequire(import.meta.url).resolve('better-sqlite3') },
  });
  // It must not keep the process alive, and a failure of its own only means WAL files grow until the next start.
  worker.unref();
  let exited = false;
  worker.on('error', (error) => console.error('batch store: the checkpoint thread failed', error));
  worker.on('exit', () => {
    exited = true;
  });
  return {
    /**
     * Waits (blocking, briefly) until the worker's connection is closed, so that the store's own close is the
     * last one: it then checkpoints what is left and removes the WAL before anyone removes the folder.
     */
    stop() {
      if (exited) return;
      worker.postMessage('stop');
      Atomics.wait(new Int32Array(done), 0, 0, STOP_WAIT_MS);
    },
  };
}
