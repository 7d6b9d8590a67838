// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { HISTORY_TIERS, pickForChart, pointsToDrop } from './downsample.ts';
import { failureGroups } from './failure-groups.ts';
import { INSIGHT_RULES, completionsPerMinute, currentRate, estimateEta, queueStall, stalledJobs, timingStats, type FinishedPoint } from './rules.ts';

const T0 = Date.UTC(2026, 11, 3, 16, 0, 0);
const MIN = 60_000;

/** One completion every `gapMs` from T0, for `count` completions. */
function steadyCompletions(count: number, gapMs: number): FinishedPoint[] {
  const points: FinishedPoint[] = [{ at: T0, finished: 0 }];
  for (let i = 1; i <= count; i++) points.push({ at: T0 + i * gapMs, finished: i });
  return points;
}

describe('ETA', () => {
  it('stays hidden until enough jobs have finished to say anything', () => {
    const eta = estimateEta({ now: T0 + 40_000, remaining: 100, points: steadyCompletions(4, 10_000) });
    expect(eta.kind).toBe('unknown');
    expect(eta.kind === 'unknown' && eta.reason).toMatch(/at least 5 completions/);
  });

  it('estimates the time left from the observed rate, with a range that narrows as evidence grows', () => {
    // 2 per minute for 10 minutes, 30 left → about 15 minutes.
    const few = estimateEta({ now: T0 + 10 * MIN, remaining: 30, points: steadyCompletions(20, 30_000) });
    expect(few.kind).toBe('estimate');
    if (few.kind !== 'estimate') return;
    expect(few.remainingMs).toBeCloseTo(15 * MIN, -3);
    expect(few.ratePerMinute).toBeCloseTo(2);
    expect(few.lowMs).toBeLessThan(few.remainingMs);
    expect(few.highMs).toBeGreaterThan(few.remainingMs);

    const many = estimateEta({ now: T0 + 10 * MIN, remaining: 300, points: steadyCompletions(200, 3_000) });
    if (many.kind !== 'estimate') throw new Error('expected an estimate');
    expect((many.highMs - many.lowMs) / many.remainingMs).toBeLessThan((few.highMs - few.lowMs) / few.remainingMs);
  });

  it('reads only the last 10 minutes, so a change of pace shows', () => {
    // Fast for 10 minutes (1 per 6 s), then slow (1 per minute) for 10 minutes.
    const points = steadyCompletions(100, 6_000);
    for (let i = 1; i <= 10; i++) points.push({ at: T0 + 10 * MIN + i * MIN, finished: 100 + i });
    const eta = estimateEta({ now: T0 + 20 * MIN, remaining: 10, points });
    expect(eta.kind === 'estimate' && eta.ratePerMinute).toBeCloseTo(1);
  });

  it('says stalled when nothing has finished for 5 minutes while jobs remain', () => {
    const points = steadyCompletions(10, 10_000);
    const lastAt = points[points.length - 1].at;
    expect(estimateEta({ now: lastAt + 4 * MIN, remaining: 5, points }).kind).toBe('estimate');
    const eta = estimateEta({ now: lastAt + 5 * MIN, remaining: 5, points });
    expect(eta).toMatchObject({ kind: 'stalled', sinceMs: 5 * MIN });
  });

  it('says done when nothing remains, and stalled when nothing ever finished', () => {
    expect(estimateEta({ now: T0, remaining: 0, points: [] })).toEqual({ kind: 'done' });
    expect(estimateEta({ now: T0 + 6 * MIN, remaining: 3, points: [{ at: T0, finished: 0 }] }).kind).toBe('stalled');
  });

  it('does not count removed jobs as completions', () => {
    const points: FinishedPoint[] = [{ at: T0, finished: 10 }, { at: T0 + MIN, finished: 2 }, { at: T0 + 2 * MIN, finished: 3 }];
    expect(currentRate(points, T0 + 2 * MIN)).toBeCloseTo(0.5);
  });

  it('does not extrapolate the rate of a batch younger than a minute', () => {
    const points: FinishedPoint[] = [{ at: T0, finished: 0 }, { at: T0 + 4_000, finished: 3 }];
    expect(currentRate(points, T0 + 4_000)).toBe(3);
  });

  it('counts completions per whole minute', () => {
    const points: FinishedPoint[] = [{ at: T0, finished: 0 }, { at: T0 + 10_000, finished: 2 }, { at: T0 + 70_000, finished: 5 }];
    expect(completionsPerMinute(points, T0 + 150_000)).toEqual({ t: [T0, T0 + MIN, T0 + 2 * MIN], count: [2, 3, 0] });
  });
});

describe('wait and run times', () => {
  it('gives the median and the 95th percentile by nearest rank', () => {
    const durations = Array.from({ length: 100 }, (_, i) => (i + 1) * 1000);
    expect(timingStats(durations)).toEqual({ count: 100, medianMs: 50_000, p95Ms: 95_000 });
    expect(timingStats([])).toEqual({ count: 0, medianMs: null, p95Ms: null });
    expect(timingStats([7])).toEqual({ count: 1, medianMs: 7, p95Ms: 7 });
  });
});

describe('stall rule', () => {
  const now = T0 + 30 * MIN;

  it('compares a job with finished jobs of the same conversion in the batch', () => {
    const runTimesByConversion = new Map([['pdf→png', [20_000, 30_000, 40_000]]]);
    const stalled = stalledJobs({
      now,
      running: [
        { jobId: 'a', conversion: 'pdf→png', progressChangedAt: now - 2 * MIN - 1, checkedAt: now },
        { jobId: 'b', conversion: 'pdf→png', progressChangedAt: now - 60_000, checkedAt: now },
      ],
      runTimesByConversion,
    });
    // 4 × the 30 s median = 2 min.
    expect(stalled.map((s) => [s.jobId, s.thresholdMs])).toEqual([['a', 2 * MIN]]);
    expect(stalled[0].reason).toMatch(/pdf→png jobs in this batch usually run 30 s \(median of 3\)/);
  });

  it('never flags a job under a minute, however fast its siblings', () => {
    const runTimesByConversion = new Map([['png→jpg', [500, 600, 700]]]);
    const running = [{ jobId: 'a', conversion: 'png→jpg', progressChangedAt: now - 59_000, checkedAt: now }];
    expect(stalledJobs({ now, running, runTimesByConversion })).toEqual([]);
  });

  it('uses the 5-minute default when too few jobs of the conversion have finished', () => {
    const running = [{ jobId: 'a', conversion: 'mp4→gif', progressChangedAt: now - 5 * MIN, checkedAt: null }];
    const stalled = stalledJobs({ now, running, runTimesByConversion: new Map([['mp4→gif', [1000, 2000]]]) });
    expect(stalled).toMatchObject([{ jobId: 'a', thresholdMs: INSIGHT_RULES.stallDefaultMs, unchangedMs: 5 * MIN }]);
    expect(stalled[0].reason).toMatch(/default of 5 min/);
  });

  it('counts only the time the job was seen unchanged: a job the tracker reaches every 8 minutes is not stalled for that', () => {
    const running = [
      // Changed at the last visit, 7 minutes ago; nobody has looked since.
      { jobId: 'rarely-seen', conversion: 'mp4→gif', progressChangedAt: now - 7 * MIN, checkedAt: now - 7 * MIN },
      // Seen unchanged from 7 minutes ago until a minute ago.
      { jobId: 'seen-still', conversion: 'mp4→gif', progressChangedAt: now - 7 * MIN, checkedAt: now - MIN },
    ];
    const stalled = stalledJobs({ now, running, runTimesByConversion: new Map() });
    expect(stalled.map((s) => s.jobId)).toEqual(['seen-still']);
    // What the row says is how long since it last changed, as far as anyone knows.
    expect(stalled[0].unchangedMs).toBe(7 * MIN);
  });

  it('flags a queue that has not moved for 10 minutes only while the upstream is healthy', () => {
    const base = { now, remaining: 4, lastChangeAt: now - 10 * MIN };
    expect(queueStall({ ...base, upstreamHealthy: true })).toMatchObject({ sinceMs: 10 * MIN });
    expect(queueStall({ ...base, upstreamHealthy: false })).toBeNull();
    expect(queueStall({ ...base, lastChangeAt: now - 9 * MIN, upstreamHealthy: true })).toBeNull();
    expect(queueStall({ ...base, remaining: 0, upstreamHealthy: true })).toBeNull();
  });
});

describe('history downsampling', () => {
  it('keeps the last 10 minutes whole and one point per 15 s up to an hour old', () => {
    const now = T0 + 60 * MIN;
    const times = Array.from({ length: 3600 }, (_, i) => T0 + i * 1000);
    const dropped = new Set(pointsToDrop(times, now));
    const kept = times.filter((t) => !dropped.has(t));
    const recent = kept.filter((t) => now - t < 10 * MIN);
    expect(recent).toEqual(times.filter((t) => now - t < 10 * MIN));
    const older = kept.filter((t) => now - t >= 10 * MIN);
    // 50 minutes at one per 15 s, plus the first point.
    expect(older.length).toBeGreaterThanOrEqual(200);
    expect(older.length).toBeLessThanOrEqual(202);
    expect(kept[0]).toBe(T0);
  });

  it('keeps the last point of each bucket, so cumulative counts stay exact', () => {
    const now = T0 + 2 * 24 * 60 * MIN;
    const times = [T0, T0 + 1000, T0 + 2000, T0 + 3000];
    expect(pointsToDrop(times, now)).toEqual([T0 + 1000, T0 + 2000]);
  });

  it('is stable: compacting again later drops nothing more in the same tier', () => {
    const now = T0 + 3 * 60 * MIN;
    const times = Array.from({ length: 1000 }, (_, i) => T0 + i * 7_000);
    const dropped = new Set(pointsToDrop(times, now));
    const kept = times.filter((t) => !dropped.has(t));
    expect(pointsToDrop(kept, now)).toEqual([]);
  });

  it('keeps a week-long batch to a few thousand points', () => {
    const now = T0 + 7 * 24 * 60 * MIN;
    const times: number[] = [];
    for (let t = T0; t < now; t += 5_000) times.push(t);
    const dropped = pointsToDrop(times, now, HISTORY_TIERS).length;
    expect(times.length - dropped).toBeLessThan(2500);
  });

  it('picks at most the asked number of points for a chart, first and last included', () => {
    const times = Array.from({ length: 5000 }, (_, i) => T0 + i * 1000);
    const picked = pickForChart(times, 300);
    expect(picked.length).toBeLessThanOrEqual(300);
    expect(picked[0]).toBe(0);
    expect(picked[picked.length - 1]).toBe(4999);
  });
});

describe('failure groups', () => {
  it('groups by code, splits out a repeated detail, and puts the largest group first', () => {
    const groups = failureGroups([
      { jobId: 'a', code: 'convert.failed', detail: 'Unsupported PDF version' },
      { jobId: 'b', code: 'convert.failed', detail: 'Unsupported PDF version' },
      { jobId: 'c', code: 'convert.failed', detail: 'Broken header' },
      { jobId: 'd', code: 'convert.failed', detail: 'Other' },
      { jobId: 'e', code: 'convert.timeout', detail: null },
    ]);
    expect(groups.map((g) => [g.code, g.detail, g.count, g.exampleJobId])).toEqual([
      ['convert.failed', 'Unsupported PDF version', 2, 'a'],
      ['convert.failed', null, 2, 'c'],
      ['convert.timeout', null, 1, 'e'],
    ]);
  });

  it('names the detail on the code group when every job of the code shares it', () => {
    const groups = failureGroups([
      { jobId: 'a', code: 'x', detail: 'same' },
      { jobId: 'b', code: 'x', detail: 'same' },
    ]);
    expect(groups).toEqual([{ code: 'x', detail: 'same', count: 2, exampleJobId: 'a', jobIds: ['a', 'b'] }]);
  });
});
