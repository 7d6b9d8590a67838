// @vitest-environment node
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, waitUntilGone } from '../test/processes.ts';
import { runProcess, withChildMemoryLimit } from './child-process.ts';
import { ProcessGroupLedger, reapProcessGroups } from './process-groups.ts';


/** A shell that prints its own pid and its child's, then waits for the child: a two-process tree. */
function startTree(options: { signal: AbortSignal; timeoutMs?: number }) {
  const pids: number[] = [];
  let announced!: () => void;
  const ready = new Promise<void>((resolve) => (announced = resolve));
  const run = runProcess('sh', ['-c', 'echo $$; sleep 60 & echo $!; wait'], {
    ...options,
    onStdoutLine: (line) => {
      if (/^\d+$/.test(line)) pids.push(Number(line));
      if (pids.length === 2) announced();
    },
  });
  // Also settles when the run ends first, so that a test fails on its assertions instead of hanging.
  return { pids, ready: Promise.race([ready, run.then(() => {}, () => {})]), run };
}

describe('runProcess', () => {
  it('runs a tool under the memory limit of its conversion, and without one outside it', async () => {
    const signal = new AbortController().signal;
    const limited = await withChildMemoryLimit(64, () => runProcess('sh', ['-c', 'ulimit -d'], { signal }));
    expect(limited.stdout.toString().trim()).toBe(String(64 * 1024));
    const free = await runProcess('sh', ['-c', 'ulimit -d'], { signal });
    expect(free.stdout.toString().trim()).toBe('unlimited');
  });

  it('turns a tool that ran out of memory under its limit into a plain sentence', async () => {
    const signal = new AbortController().signal;
    const run = withChildMemoryLimit(32, () => runProcess('sh', ['-c', 'echo "Out of memory" >&2; exit 1'], { signal }));
    await expect(run).rejects.toMatchObject({
      code: 'convert.failed',
      detail: 'The conversion needed more memory than the 32 MB this server allows a conversion tool, and was stopped.',
    });
    // A crash on a failed allocation (pandoc: SIGSEGV) reads the same.
    const crash = withChildMemoryLimit(32, () => runProcess('sh', ['-c', 'kill -SEGV $$'], { signal }));
    await expect(crash).rejects.toMatchObject({ code: 'convert.failed' });
  });

  it('turns a tool that found the disk full into the disk-full sentence', async () => {
    const signal = new AbortController().signal;
    const run = runProcess('sh', ['-c', 'echo "av_interleaved_write_frame(): No space left on device" >&2; exit 1'], { signal });
    await expect(run).rejects.toMatchObject({ code: 'convert.failed', detail: expect.stringContaining('ran out of disk space') });
  });

  it('kills the whole process tree when aborted, and rejects with the abort reason it was given', async () => {
    const controller = new AbortController();
    const tree = startTree({ signal: controller.signal });
    await tree.ready;
    expect(tree.pids).toHaveLength(2);
    expect(await isAlive(tree.pids[1])).toBe(true);
    const reason = new Error('The conversion took longer than 1 s and was stopped.');
    controller.abort(reason);
    await expect(tree.run).rejects.toBe(reason);
    await waitUntilGone(tree.pids);
  });

  it('kills the whole process tree at its own timeout', async () => {
    const tree = startTree({ signal: new AbortController().signal, timeoutMs: 1000 });
    await tree.ready;
    expect(tree.pids).toHaveLength(2);
    await expect(tree.run).rejects.toThrow('sh did not finish within 1 s.');
    await waitUntilGone(tree.pids);
  });
});

describe('the ledger of running tools, for the start after a hard crash', () => {
  const dirs: string[] = [];
  const controllers: AbortController[] = [];
  const runs: Promise<unknown>[] = [];
  afterEach(async () => {
    for (const controller of controllers.splice(0)) controller.abort();
    // A run that ends writes the ledger (its entry dropped): removing the folder meanwhile failed with ENOTEMPTY.
    await Promise.allSettled(runs.splice(0));
    for (const dir of dirs.splice(0)) await fs.rm(dir, { recursive: true, force: true });
  });

  async function ledgerFile(): Promise<string> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ledger-'));
    dirs.push(dir);
    return path.join(dir, 'process-groups.json');
  }

  function recorded(file: string): { pgid: number; start: number }[] {
    return (JSON.parse(readFileSync(file, 'utf8')) as { groups: { pgid: number; start: number }[] }).groups;
  }

  /** A two-process tree started inside a conversion that records it in the ledger. */
  async function treeOnRecord(file: string) {
    const controller = new AbortController();
    controllers.push(controller);
    const ledger = new ProcessGroupLedger(file);
    const tree = await ledger.run(async () => startTree({ signal: controller.signal }));
    runs.push(tree.run);
    await tree.ready;
    expect(tree.pids).toHaveLength(2);
    return tree;
  }

  it('records a tool while it runs and drops it when it ends', async () => {
    const file = await ledgerFile();
    const tree = await treeOnRecord(file);
    expect(recorded(file).map((g) => g.pgid)).toEqual([tree.pids[0]]);
    controllers[0].abort();
    await tree.run.catch(() => {});
    expect(recorded(file)).toEqual([]);
  });

  it('does not record a tool run outside a conversion', async () => {
    const file = await ledgerFile();
    new ProcessGroupLedger(file);
    const controller = new AbortController();
    controllers.push(controller);
    const tree = startTree({ signal: controller.signal });
    runs.push(tree.run);
    await tree.ready;
    expect(existsSync(file)).toBe(false);
  });

  it('kills the whole tree a service left running, and removes the list', async () => {
    const file = await ledgerFile();
    const tree = await treeOnRecord(file);
    // As after kill -9: nobody aborts the run; the next start reads the list.
    const killed = reapProcessGroups(file);
    expect(killed.sort()).toEqual([...tree.pids].sort());
    expect(existsSync(file)).toBe(false);
    await waitUntilGone(tree.pids);
    expect(await tree.run.then((result) => result.code)).toBe(-1);
  });

  it('leaves a group alone when its processes are older than the recorded leader (the pid was given to another)', async () => {
    const file = await ledgerFile();
    const tree = await treeOnRecord(file);
    const [entry] = recorded(file);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { bootId: string };
    // As if the pid had been given to a new leader long after (start times are in clock ticks, 100 a second).
    writeFileSync(file, JSON.stringify({ ...saved, groups: [{ pgid: entry.pgid, start: entry.start + 100_000 }] }));
    expect(reapProcessGroups(file)).toEqual([]);
    expect(await isAlive(tree.pids[0])).toBe(true);
    expect(await isAlive(tree.pids[1])).toBe(true);
  });

  it('leaves every group alone after a reboot, and ignores a damaged list', async () => {
    const file = await ledgerFile();
    const tree = await treeOnRecord(file);
    writeFileSync(file, JSON.stringify({ bootId: 'another-boot', groups: recorded(file) }));
    expect(reapProcessGroups(file)).toEqual([]);
    writeFileSync(file, '{"bootId": "half a fi');
    expect(reapProcessGroups(file)).toEqual([]);
    expect(await isAlive(tree.pids[1])).toBe(true);
  });
});
