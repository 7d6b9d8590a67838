// @vitest-environment node
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Converter, ConvertContext } from '../converters/types.ts';
import { Holds, KEY_A, fakeConverters, getStatus, startApi, stopApi, submitOk, waitFor, waitForHolds, waitForStatus, type TestApi } from './helpers.ts';

const TIMED_OUT = { code: 'convert.failed', detail: 'The conversion took longer than 1 s and was stopped.' };

let api: TestApi | null = null;
afterEach(async () => {
  vi.restoreAllMocks();
  if (api) await stopApi(api);
  api = null;
});

/** What the converter saw of one run: when it started and when (and why) its signal was aborted. */
interface Seen {
  text: string;
  startedAt: number;
  abortedAt: number | null;
  reason: unknown;
}

/** A gate the test opens; a converter waiting on it ignores its signal, like in-process work that cannot be stopped. */
class Gate {
  private open!: () => void;
  readonly opened = new Promise<void>((resolve) => (this.open = resolve));
  release(): void {
    this.open();
  }
}

/**
 * The helpers' test converters, watched: every run is recorded in `seen`; input `stubborn` waits for the gate and
 * ignores its signal, then writes a file into its (by then removed) work folder.
 */
function watchedConverters(holds: Holds, seen: Seen[], gate = new Gate()): Converter[] {
  return fakeConverters(holds).map((converter) => ({
    ...converter,
    async run(ctx: ConvertContext) {
      const text = (await fs.readFile(ctx.inputPath, 'utf8')).trim();
      const entry: Seen = { text, startedAt: Date.now(), abortedAt: null, reason: undefined };
      seen.push(entry);
      ctx.signal.addEventListener('abort', () => {
        entry.abortedAt = Date.now();
        entry.reason = ctx.signal.reason;
      });
      if (text !== 'stubborn') return converter.run(ctx);
      await gate.opened;
      await fs.mkdir(ctx.outputDir, { recursive: true });
      const file = path.join(ctx.outputDir, 'late.out');
      await fs.writeFile(file, 'too late');
      return { files: [file] };
    },
  }));
}

async function start(options: { seen: Seen[]; gate?: Gate; dataDir?: string; minJobMs?: number; jobTimeoutSeconds?: number }): Promise<TestApi> {
  const holds = new Holds();
  return startApi({
    holds,
    converters: watchedConverters(holds, options.seen, options.gate),
    workers: 1,
    jobTimeoutSeconds: options.jobTimeoutSeconds ?? 1,
    minJobMs: options.minJobMs ?? 0,
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
  });
}

const status = async (id: string) => (await getStatus(api!, id)).json();
const listing = (dir: string) => fs.readdir(path.join(api!.dataDir, dir));

describe('the per-job time limit', () => {
  it('fails a job past its limit with the documented error, refunds it, removes its files and runs the next queued job', async () => {
    const seen: Seen[] = [];
    api = await start({ seen });
    const balance = api.service.store.creditBalance('account-a');
    const slow = await submitOk(api, 'hold', 'slow.txt');
    const next = await submitOk(api, 'quick', 'next.txt');
    await waitForHolds(api, 1);
    expect((await status(next)).status).toBe('Queued');

    const failed = await waitForStatus(api, slow, 'Failed');
    expect(failed).toMatchObject({ error: TIMED_OUT, output: null, progress: { percent: 36, phase: null }, metrics: { creditCost: 0 } });
    expect(api.holds.aborted).toBe(1);
    await waitForStatus(api, next, 'Succeeded');
    expect(api.service.store.creditBalance('account-a')).toBe(balance - 2);
    // The timed-out job is Failed at its limit; its converter is stopped and its files removed just after.
    await waitFor(async () => (await listing('uploads')).length === 0 && (await listing('work')).length === 0);
    expect(await listing('uploads')).toEqual([]);
    expect(await listing('work')).toEqual([]);
    expect(await listing('outputs')).toEqual([next]);
  });

  it('still fails a timed-out job once its work stops when recording the limit failed the first time', async () => {
    const seen: Seen[] = [];
    const gate = new Gate();
    api = await start({ seen, gate });
    const store = api.service.store;
    const markFailed = store.markFailed.bind(store);
    let refused = 0;
    // The first record at the limit fails, as a busy or full store would make it.
    vi.spyOn(store, 'markFailed').mockImplementation((...args) => {
      if (refused++ === 0) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
      return markFailed(...args);
    });
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const stubborn = await submitOk(api, 'stubborn', 'stubborn.txt');
    await waitFor(() => refused === 1, 10_000);
    expect((await status(stubborn)).status).toBe('Running');
    gate.release();
    expect((await waitForStatus(api, stubborn, 'Failed')).error).toEqual(TIMED_OUT);
  });

  it('counts the limit from the start of the conversion, not from the submission', async () => {
    const seen: Seen[] = [];
    api = await start({ seen });
    const submittedAt = Date.now();
    const first = await submitOk(api, 'hold', 'first.txt');
    const second = await submitOk(api, 'hold', 'second.txt');
    await waitForStatus(api, first, 'Failed');
    expect((await waitForStatus(api, second, 'Failed')).error).toEqual(TIMED_OUT);
    const [a, b] = seen;
    // The second job waited a second in the queue and was still given its own second once it started (counted from
    // the submission it would have been stopped at once). The converter sees its start a little after the runner
    // (later still on a busy machine), so the margin is wide: stopped at once would be a few ms.
    expect(b.startedAt - submittedAt).toBeGreaterThanOrEqual(950);
    expect(b.abortedAt! - b.startedAt).toBeGreaterThanOrEqual(300);
    expect(a.reason).toBeInstanceOf(Error);
    expect((a.reason as Error).message).toBe(TIMED_OUT.detail);
  });

  it('does not count the CONVERT_API_MIN_JOB_MS pacing', async () => {
    const seen: Seen[] = [];
    api = await start({ seen, minJobMs: 1500 });
    const id = await submitOk(api, 'quick');
    const done = await waitForStatus(api, id, 'Succeeded');
    expect(done.error).toBeNull();
    expect(seen[0].abortedAt).toBeNull();
  });

  it('takes the worker back from a converter that ignores its signal, and removes what it writes later', async () => {
    const seen: Seen[] = [];
    const gate = new Gate();
    api = await start({ seen, gate });
    const stubborn = await submitOk(api, 'stubborn', 'stubborn.txt');
    const next = await submitOk(api, 'quick', 'next.txt');
    expect((await waitForStatus(api, stubborn, 'Failed')).error).toEqual(TIMED_OUT);
    // The stubborn converter never ended, yet the only worker ran the next job.
    await waitForStatus(api, next, 'Succeeded');
    expect(seen[0].abortedAt).not.toBeNull();
    gate.release();
    await waitFor(async () => (await listing('work')).length === 0);
    expect(await listing('outputs')).toEqual([next]);
    expect((await status(stubborn)).status).toBe('Failed');
  });

  it('leaves a canceled job Canceled: a cancel is not a timeout', async () => {
    const seen: Seen[] = [];
    api = await start({ seen });
    const canceled = await submitOk(api, 'hold', 'canceled.txt');
    const later = await submitOk(api, 'hold', 'later.txt');
    await waitForHolds(api, 1);
    const res = await api.app.inject({ method: 'POST', url: `/convert/job/${canceled}/cancel`, headers: { 'x-fast-api-key': KEY_A } });
    expect(res.statusCode).toBe(202);
    // The later job starts after the canceled one, so its own limit passes after the canceled one's would have.
    await waitForStatus(api, later, 'Failed');
    expect(await status(canceled)).toMatchObject({ status: 'Canceled', error: null });
    expect((seen[0].reason as Error).message).toBe('canceled');
    expect((seen[1].reason as Error).message).toBe(TIMED_OUT.detail);
  });

  it('keeps a timed-out job Failed across a restart: it never runs again', async () => {
    const seen: Seen[] = [];
    api = await start({ seen });
    const id = await submitOk(api, 'hold');
    await waitForStatus(api, id, 'Failed');
    const { dataDir } = api;
    await api.close();
    api = await start({ seen, dataDir, jobTimeoutSeconds: 900 });
    expect(await status(id)).toMatchObject({ status: 'Failed', error: TIMED_OUT });
    const probe = await submitOk(api, 'quick');
    await waitForStatus(api, probe, 'Succeeded');
    expect(seen.map((s) => s.text)).toEqual(['hold', 'quick']);
    expect(await listing('uploads')).toEqual([]);
  });
});
