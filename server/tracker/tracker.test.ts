// @vitest-environment node
import { afterEach, describe, expect, it } from 'vitest';
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

async function harness(script: Script, opts: { holdMs?: number; maxInFlight?: number; viewed?: boolean } = {}): Promise<Harness> {
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
    // Holding answers a little (real time) lets requests overlap, so an in-flight cap can be seen at work.
    if (opts.holdMs) setTimeout(respond, opts.holdMs);
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
    options: { maxInFlight: opts.maxInFlight ?? 8 },
    sink: {
      status: (id, body, _sent, at) => statuses.push({ id, status: body.status, at }),
      gone: (id) => finals.push({ id, kind: 'gone' }),
      forbidden: (id) => finals.push({ id, kind: 'forbidden' }),
      problem: (id, problem) => problems.push({ id, problem }),
      isViewed: () => opts.viewed ?? true,
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
    const h = await harness((jid) => ({ status: 200, body: statusBody(jid, 'Running') }), { holdMs: 20, maxInFlight: 8 });
    for (let i = 0; i < 40; i++) h.tracker.track(jobId(i), h.clock.now(), 0);
    await h.advance(500);
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
