import { describe, expect, it } from 'vitest';
import type { BatchSummary } from '../../contract/dashboard-api.ts';
import { JOB_FIELDS, encodeJobRow, type BatchDelta, type LiveMeta } from '../../contract/live.ts';
import { makeJob } from '../testing/render.tsx';
import { BatchJobs } from './batch-jobs.ts';
import { applyPending, type SnapshotData } from './live-snapshot.ts';

const id = (n: number) => n.toString(16).padStart(32, '0');
const batch = { id: 'b1', name: 'B' } as BatchSummary;
const meta = (revision: number, checkedAt: string): LiveMeta => ({
  revision,
  upstream: { state: 'ok', error: null, since: null },
  serverTime: new Date().toISOString(),
  checkedAt,
  outputs: { keep: true, skippedForSpace: 0, usedBytes: 0, limitBytes: 0, keepDays: 7 },
});
const delta = (from: number, revision: number, percent: number): BatchDelta => ({
  ...meta(revision, `2026-12-03T10:00:0${revision}.000Z`),
  from,
  batch,
  fields: JOB_FIELDS,
  jobs: [encodeJobRow(makeJob({ id: id(2), state: 'Running', last: { ...makeJob().last!, progress: { percent, phase: null } } }))],
});
const base = (): SnapshotData => {
  const m = meta(1, '2026-12-03T10:00:01.000Z');
  return {
    snapshot: { batch, upstream: m.upstream, serverTime: m.serverTime, retentionSeconds: 3600, revision: 1, checkedAt: m.checkedAt, outputs: m.outputs, jobs: new BatchJobs([makeJob({ id: id(1) }), makeJob({ id: id(2) })]) },
    serverOffsetMs: 0,
  };
};

describe('pushed events applied together', () => {
  it('applies deltas and meta in the order they came, in one new data object', () => {
    const data = base();
    const next = applyPending(data, [{ delta: delta(1, 2, 10) }, { delta: delta(2, 3, 20) }, { meta: meta(3, '2026-12-03T10:00:09.000Z') }])!;
    expect(next.snapshot.revision).toBe(3);
    expect(next.snapshot.jobs.percentDone(1)).toBe(20);
    expect(next.snapshot.jobs.job(0)).toBe(data.snapshot.jobs.job(0));
    // The meta that came last wins over the checkedAt the deltas carried.
    expect(next.snapshot.checkedAt).toBe('2026-12-03T10:00:09.000Z');
    expect(Array.from(next.snapshot.jobs.changedRowsSince(data.snapshot.jobs)!)).toEqual([1, 1]);
  });

  it('gives back the same data for a meta that changes nothing, and null for a gap', () => {
    const data = base();
    expect(applyPending(data, [{ meta: meta(1, data.snapshot.checkedAt!) }])).toBe(data);
    expect(applyPending(data, [{ delta: delta(1, 2, 10) }, { delta: delta(5, 6, 20) }])).toBeNull();
  });

  it("keeps the clock offset through changes while the server's clock agrees within a second, so rows that take it do not re-render", () => {
    const data = base();
    const at = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();
    const steady = applyPending(data, [{ delta: { ...delta(1, 2, 10), serverTime: at(300) } }])!;
    expect(steady.serverOffsetMs).toBe(0);
    const moved = applyPending(steady, [{ delta: { ...delta(2, 3, 20), serverTime: at(5_000) } }])!;
    expect(moved.serverOffsetMs).toBeGreaterThan(4_000);
    expect(applyPending(moved, [{ meta: { ...meta(3, '2026-12-03T10:00:03.000Z'), serverTime: at(5_200) } }])!.serverOffsetMs).toBe(moved.serverOffsetMs);
  });
});
