// @vitest-environment node
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ServerResponse } from 'node:http';
import { startFakeUpstream, type FakeUpstream } from '../testing/fake-upstream.ts';
import { createUpstreamClient, type UpstreamClient } from '../upstream.ts';
import { FakeClock } from './fake-clock.ts';
import type { Problem } from '../../contract/errors.ts';
import { createTracker, type Tracker } from './tracker.ts';
import { jobId, statusBody } from './test-fixtures.ts';

type Answer = { status: number; body?: unknown; headers?: Record<string, string> } | 'reset';
type Script = (jobId: string, n: number, now: number) => Answer;

interface Harness {
  clock: FakeClock;
  fake: FakeUpstream;
  tracker: Tracker;
  /** Fake-clock times of the requests per job. */
  times: Map<string, number[]>;
  statuses: { id: string; status: string; at: number }[];
  problems: { id: string; problem: Problem }[];
  finals: { id: string; kind: 'gone' | 'forbidden' }[];
  maxConcurrent: () => number;
  advance(ms: number): Promise<void>;
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

async function harness(
  script: Script,
  opts: { held?: (() => void)[]; maxInFlight?: number; viewed?: boolean; maxRps?: number; shown?: ReadonlySet<string> } = {},
): Promise<Harness> {
  const clock = new FakeClock();
  const fake = await startFakeUpstream();
  const upstream: UpstreamClient = createUpstreamClient({ base: fake.url, apiKey: 'test-key' });
  const times = new Map<string, number[]>();
  const counts = new Map<string, number>();
  let concurrent = 0;
  let maxConcurrent = 0;
  fake.handle((req, res) => {
    const id = /\/convert\/job\/([0-9a-f]{32})$/.exec(req.url ?? '')?.[1] ?? 'none';
    const n = counts.get(id) ?? 0;
    counts.set(id, n + 1);
    times.set(id, [...(times.get(id) ?? []), clock.now()]);
    concurrent++;
    maxConcurrent = Math.max(maxConcurrent, concurrent);
    const answer = script(id, n, clock.now());
    const respond = () => {
      concurrent--;
      send(req.socket, res, answer);
    };
    // Held answers wait until the test sends them, so requests overlap for certain and an in-flight cap is seen at work.
    if (opts.held) opts.held.push(respond);
    else respond();
  });
  let seed = 7;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const statuses: Harness['statuses'] = [];
  const problems: Harness['problems'] = [];
  const finals: Harness['finals'] = [];
  const tracker = createTracker({
    upstream,
    clock,
    random,
    // No total rate cap unless a test is about it: the other tests look at bursts the cap would spread.
    options: { maxInFlight: opts.maxInFlight ?? 8, maxRps: opts.maxRps ?? Infinity },
    sink: {
      status: (id, body, _sent, at) => statuses.push({ id, status: body.status, at }),
      gone: (id) => finals.push({ id, kind: 'gone' }),
      forbidden: (id) => finals.push({ id, kind: 'forbidden' }),
      problem: (id, problem) => problems.push({ id, problem }),
      isViewed: () => opts.viewed ?? true,
      isShown: (id) => opts.shown?.has(id) ?? false,
    },
  });
  cleanup.push(async () => {
    await tracker.close();
    await upstream.close();
    await fake.close();
  });
  return {
    clock, fake, tracker, times, statuses, problems, finals,
    maxConcurrent: () => maxConcurrent,
    advance: (ms) => clock.advance(ms, () => tracker.settled()),
  };
}

function send(socket: import('node:net').Socket, res: ServerResponse, answer: Answer): void {
  if (answer === 'reset') {
    socket.destroy();
    return;
  }
  const text = answer.body === undefined ? '' : JSON.stringify(answer.body);
  res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
  res.end(text);
}

describe('the tracker', () => {
  it('stops polling a job for good once it is terminal', async () => {
    const id = jobId(1);
    const h = await harness((jid, n) => ({ status: 200, body: statusBody(jid, n < 3 ? (n === 0 ? 'Queued' : 'Running') : 'Succeeded') }));
    const start = h.clock.now();
    h.tracker.track(id, start);
    await h.advance(10 * 60_000);
    expect(h.times.get(id)).toHaveLength(4);
    expect(h.statuses.map((s) => s.status)).toEqual(['Queued', 'Running', 'Running', 'Succeeded']);
    expect(h.tracker.isTracked(id)).toBe(false);
    // The first poll comes about a second after submission.
    const first = h.times.get(id)![0] - start;
    expect(first).toBeGreaterThanOrEqual(800);
    expect(first).toBeLessThanOrEqual(1200);
  });

  it('never polls one job more than once per second, refreshes included', async () => {
    const h = await harness((jid) => ({ status: 200, body: statusBody(jid, 'Running', 10) }));
    const ids = Array.from({ length: 8 }, (_, i) => jobId(i));
    for (const id of ids) h.tracker.track(id, h.clock.now(), 0);
    await h.advance(1);
    for (let i = 0; i < 5; i++) await h.tracker.refresh(ids[0], h.clock.now());
    await h.advance(90_000);
    for (let i = 0; i < 5; i++) await h.tracker.refresh(ids[1], h.clock.now());
    for (const id of ids) {
      const t = h.times.get(id)!;
      expect(t.length).toBeGreaterThan(5);
      for (let i = 1; i < t.length; i++) expect(t[i] - t[i - 1]).toBeGreaterThanOrEqual(1000);
    }
  });

  it('never has more requests in flight than its cap', async () => {
    const held: (() => void)[] = [];
    const h = await harness((jid) => ({ status: 200, body: statusBody(jid, 'Running') }), { held, maxInFlight: 8 });
    for (let i = 0; i < 40; i++) h.tracker.track(jobId(i), h.clock.now(), 0);
    const advanced = h.advance(500);
    // The upstream answers nothing until 8 wait at once (the cap is reached), then answers them; five times over.
    // A tracker past its cap shows more than 8 waiting before any answer lets it send more.
    for (let round = 0; round < 5; round++) {
      await vi.waitFor(() => expect(held.length).toBeGreaterThanOrEqual(8), { timeout: 10_000, interval: 5 });
      expect(h.maxConcurrent()).toBe(8);
      for (const respond of held.splice(0)) respond();
    }
    await advanced;
    expect(h.maxConcurrent()).toBe(8);
    expect(h.times.size).toBe(40);
  });

  it("waits at least a job's Retry-After after its 429 before polling it again", async () => {
    const id = jobId(3);
    const h = await harness((jid, n) =>
      n === 0
        ? { status: 429, body: { error: 'rate_limited', detail: 'slow down' }, headers: { 'retry-after': '7' } }
        : { status: 200, body: statusBody(jid, 'Succeeded') },
    );
    h.tracker.track(id, h.clock.now(), 0);
    await h.advance(60_000);
    const [first, second] = h.times.get(id)!;
    expect(second - first).toBeGreaterThanOrEqual(7000);
    expect(h.problems[0].problem).toMatchObject({ status: 429, error: 'rate_limited' });
    expect(h.tracker.health().state).not.toBe('rate_limited');
  });

  it('pauses every job until Retry-After when the upstream answers 429 for the whole account', async () => {
    let blocked = true;
    const h = await harness((jid) =>
      blocked
        ? { status: 429, body: { error: 'queue.pool_saturated', detail: null }, headers: { 'retry-after': '20' } }
        : { status: 200, body: statusBody(jid, 'Running') },
    );
    for (let i = 0; i < 5; i++) h.tracker.track(jobId(i), h.clock.now(), 1000 + i * 500);
    await h.advance(1000);
    blocked = false;
    const pausedAt = h.clock.now();
    expect(h.tracker.health().state).toBe('rate_limited');
    await h.advance(60_000);
    const later = [...h.times.values()].flat().filter((t) => t > pausedAt);
    expect(later.length).toBeGreaterThan(0);
    expect(Math.min(...later) - pausedAt).toBeGreaterThanOrEqual(20_000);
    expect(h.tracker.health().state).toBe('ok');
  });

  it('pauses everything when many jobs are rate limited at once, as if the account were over its limit', async () => {
    let limited = true;
    const h = await harness((jid) =>
      limited
        ? { status: 429, body: { error: 'rate_limited', detail: null }, headers: { 'retry-after': '10' } }
        : { status: 200, body: statusBody(jid, 'Running') },
    );
    for (let i = 0; i < 6; i++) h.tracker.track(jobId(i), h.clock.now(), 1000);
    await h.advance(1000);
    limited = false;
    const at = h.clock.now();
    expect(h.tracker.health().state).toBe('rate_limited');
    expect(h.times.size).toBeGreaterThanOrEqual(3);
    await h.advance(30_000);
    const later = [...h.times.values()].flat().filter((t) => t > at);
    expect(Math.min(...later) - at).toBeGreaterThanOrEqual(10_000);
    expect(h.tracker.health().state).toBe('ok');
  });

  it('reports a refused key once as upstream health and backs off globally instead of marking jobs', async () => {
    let refused = true;
    const h = await harness((jid) =>
      refused ? { status: 401, body: { error: 'api_key.invalid_or_ip_not_allowed', detail: 'bad key' } } : { status: 200, body: statusBody(jid, 'Running') },
    );
    for (let i = 0; i < 10; i++) h.tracker.track(jobId(i), h.clock.now(), 0);
    await h.advance(60_000);
    expect(h.tracker.health()).toMatchObject({ state: 'unauthorized', error: { status: 401, error: 'api_key.invalid_or_ip_not_allowed' } });
    expect(h.problems).toHaveLength(0);
    expect(h.finals).toHaveLength(0);
    const total = [...h.times.values()].flat().length;
    // Without a global back-off, 10 jobs would be polled ~100 times in a minute.
    expect(total).toBeLessThan(40);
    expect(h.tracker.trackedCount).toBe(10);
    refused = false;
    await h.advance(2 * 60_000);
    expect(h.tracker.health().state).toBe('ok');
    expect(h.statuses.length).toBeGreaterThanOrEqual(10);
  });

  it('marks a 404 job gone and a 403 job forbidden, and polls neither again', async () => {
    const h = await harness((jid) =>
      jid === jobId(1) ? { status: 404, body: { error: 'jobs.not_found', detail: null } } : { status: 403, body: { error: 'jobs.forbidden', detail: null } },
    );
    h.tracker.track(jobId(1), h.clock.now(), 0);
    h.tracker.track(jobId(2), h.clock.now(), 0);
    await h.advance(5 * 60_000);
    expect(h.finals).toEqual([
      { id: jobId(1), kind: 'gone' },
      { id: jobId(2), kind: 'forbidden' },
    ]);
    expect(h.times.get(jobId(1))).toHaveLength(1);
    expect(h.times.get(jobId(2))).toHaveLength(1);
  });

  it('comes back from an outage spread out, not in lock-step, and reports the upstream unreachable meanwhile', async () => {
    let down = true;
    const h = await harness((jid) => (down ? 'reset' : { status: 200, body: statusBody(jid, 'Running') }));
    const ids = Array.from({ length: 20 }, (_, i) => jobId(i));
    for (const id of ids) h.tracker.track(id, h.clock.now(), 0);
    await h.advance(2 * 60_000);
    expect(h.tracker.health().state).toBe('unreachable');
    const outageRequests = [...h.times.values()].flat().length;
    // One probe at a time with growing pauses: far fewer than 20 jobs × 120 s of normal polling.
    expect(outageRequests).toBeLessThan(60);
    down = false;
    const recoveredAt = h.clock.now();
    await h.advance(2 * 60_000);
    expect(h.tracker.health().state).toBe('ok');
    const firstAfter = ids.map((id) => h.times.get(id)!.find((t) => t > recoveredAt)!);
    expect(firstAfter.every((t) => t !== undefined)).toBe(true);
    expect(new Set(firstAfter).size).toBeGreaterThanOrEqual(10);
    expect(Math.max(...firstAfter) - Math.min(...firstAfter)).toBeGreaterThan(1000);
  });

  it('polls unviewed batches less often than viewed ones', async () => {
    const viewed = await harness((jid) => ({ status: 200, body: statusBody(jid, 'Running') }), { viewed: true });
    const unviewed = await harness((jid) => ({ status: 200, body: statusBody(jid, 'Running') }), { viewed: false });
    viewed.tracker.track(jobId(1), viewed.clock.now(), 0);
    unviewed.tracker.track(jobId(1), unviewed.clock.now(), 0);
    await viewed.advance(30 * 60_000);
    await unviewed.advance(30 * 60_000);
    const v = viewed.times.get(jobId(1))!.length;
    const u = unviewed.times.get(jobId(1))!.length;
    // 30 min at ~12 s vs ~60 s.
    expect(v).toBeGreaterThan(120);
    expect(u).toBeLessThan(45);
  });
});

/** Request start times (fake clock) of every job, in order. */
function allTimes(h: Harness): number[] {
  return [...h.times.values()].flat().sort((a, b) => a - b);
}

/** The most requests that started within any one-second window. */
function busiestSecond(times: readonly number[]): number {
  let most = 0;
  for (let lo = 0, hi = 0; hi < times.length; hi++) {
    while (times[hi] - times[lo] >= 1000) lo++;
    most = Math.max(most, hi - lo + 1);
  }
  return most;
}

describe('tracker priorities', () => {
  it('polls the jobs a tab shows before the others when the rate cap binds', async () => {
    const order: string[] = [];
    const h = await harness(
      (id) => {
        order.push(id);
        return { status: 200, body: statusBody(id, 'Running', 10) };
      },
      { maxRps: 4, viewed: false },
    );
    for (let i = 0; i < 40; i++) h.tracker.track(jobId(i), h.clock.now(), 0);
    const shown = [jobId(31), jobId(32), jobId(33)];
    h.tracker.show(shown);
    await h.advance(900);
    // All 40 were due at once; at 4 requests a second the three shown ones go first.
    expect(order.slice(0, 3).sort()).toEqual(shown);
    expect(order.length).toBeLessThanOrEqual(4);
  });

  it('keeps polling a shown job every couple of seconds while unshown ones wait their turn', async () => {
    const shown = new Set([jobId(1)]);
    const h = await harness((id) => ({ status: 200, body: statusBody(id, 'Running', 10) }), { viewed: false, shown, maxRps: 20 });
    h.tracker.track(jobId(1), h.clock.now(), 0);
    h.tracker.track(jobId(2), h.clock.now(), 0);
    await h.advance(30_000);
    // Shown: within the shown cap (2 s ± jitter) every time; not shown: the growing unviewed schedule.
    const gaps = (id: string) => h.times.get(id)!.slice(1).map((t, i) => t - h.times.get(id)![i]);
    expect(Math.max(...gaps(jobId(1)))).toBeLessThanOrEqual(2_400);
    expect(h.times.get(jobId(1))!.length).toBeGreaterThan(2 * h.times.get(jobId(2))!.length);
  });

  it('polls a job expected to finish soon just after its expected finish, not on its regular schedule', async () => {
    const start = Date.UTC(2026, 10, 29, 12, 0, 0);
    // Job 1 climbs steadily and finishes 40 s in; job 2 shows no progress, so nothing can be expected of it.
    const h = await harness(
      (id, _n, now) =>
        id === jobId(1) && now - start >= 40_000
          ? { status: 200, body: statusBody(id, 'Succeeded') }
          : { status: 200, body: statusBody(id, 'Running', id === jobId(1) ? (now - start) / 400 : 0) },
      { viewed: false, maxRps: 20 },
    );
    h.tracker.track(jobId(1), start, 0);
    h.tracker.track(jobId(2), start, 0);
    await h.advance(120_000);
    const done = h.statuses.find((s) => s.id === jobId(1) && s.status === 'Succeeded')!;
    // Its regular schedule (1 s, ×1.5 each time, jittered) would next look about 49 s in.
    expect(done.at - start).toBeLessThanOrEqual(43_000);
    expect(h.times.get(jobId(2))!.length).toBeLessThanOrEqual(h.times.get(jobId(1))!.length + 3);
  });
});

describe('fault 4: a huge batch does not make the tracker exceed its total request rate', () => {
  it('keeps a 150,000-job batch under TRACKER_MAX_RPS in every second, spreading the work under it', async () => {
    const h = await harness((id) => ({ status: 200, body: statusBody(id, 'Running', 5) }), { maxRps: 20, viewed: true });
    const now = h.clock.now();
    for (let i = 0; i < 150_000; i++) h.tracker.track(jobId(i), now, 0);
    await h.advance(15_000);
    const times = allTimes(h);
    expect(busiestSecond(times)).toBeLessThanOrEqual(20);
    // The cap is a ceiling, not a stall: it is used nearly in full while work is waiting.
    expect(times.length).toBeGreaterThanOrEqual(15 * 20 - 2);
    // Each request went to a different job (nothing was polled twice while 150,000 were waiting).
    expect(h.times.size).toBe(times.length);
  }, 60_000);
});
