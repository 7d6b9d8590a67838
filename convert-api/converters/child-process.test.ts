// @vitest-environment node
import fs from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { runProcess } from './child-process.ts';

/** Live means present and not a zombie (a killed grandchild may wait for the container's init to reap it). */
async function isAlive(pid: number): Promise<boolean> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && !/^\d+ \(.*\) Z/.test(stat);
}

async function waitUntilGone(pids: number[]): Promise<void> {
  const deadline = Date.now() + 5000;
  while ((await Promise.all(pids.map(isAlive))).some(Boolean)) {
    if (Date.now() > deadline) throw new Error(`still alive: ${pids.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

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
