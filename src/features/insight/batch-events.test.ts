import { describe, expect, it } from 'vitest';
import type { BatchInsight } from '../../../contract/insight-api.ts';
import { batchEvents } from './batch-events.ts';

function insight(failed: number, done: boolean, expiringSoon = 0, succeeded = 0): BatchInsight {
  return {
    serverTime: new Date(0).toISOString(),
    series: { t: [0], counts: { Failed: [failed], Succeeded: [succeeded] } },
    completionsPerMinute: { t: [], count: [] },
    currentRatePerMinute: 0,
    eta: done ? { kind: 'done' } : { kind: 'unknown', reason: '' },
    wait: { count: 0, medianMs: null, p95Ms: null },
    run: { count: 0, medianMs: null, p95Ms: null },
    stalled: [],
    queueStalled: null,
    failureGroups: [],
    expiringSoon,
    rules: { stallDefaultMs: 0, stallFactor: 4, stallMinMs: 0, stallMinSamples: 3, queueStallMs: 0, etaMinCompletions: 5, etaStallMinMs: 0 },
    upstream: 'ok',
  };
}

describe('browser notification events', () => {
  it('announces nothing on the first look, then the first failure, the finish and outputs about to expire', () => {
    const first = batchEvents(null, insight(2, true, 3));
    expect(first.events).toEqual([]);
    const a = batchEvents({ done: false, jobs: 0, failed: 0, expiringSoon: 0 }, insight(1, false));
    expect(a.events.map((e) => e.kind)).toEqual(['first_failure']);
    const b = batchEvents(a.marks, insight(1, true, 2));
    expect(b.events.map((e) => e.kind)).toEqual(['finished', 'expiring']);
    expect(batchEvents(b.marks, insight(1, true, 2)).events).toEqual([]);
  });

  it('announces the finish of files added to a finished batch, even when no look saw them running', () => {
    const empty = batchEvents(null, insight(0, true));
    const after = batchEvents(empty.marks, insight(0, true, 1, 2));
    expect(after.events.map((e) => e.kind)).toEqual(['finished', 'expiring']);
    // Jobs removed from a finished batch finish nothing.
    expect(batchEvents(after.marks, insight(0, true, 1, 1)).events).toEqual([]);
  });
});
