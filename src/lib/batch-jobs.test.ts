import { describe, expect, it } from 'vitest';
import type { BatchJob } from '../../contract/dashboard-api.ts';
import { makeJob } from '../testing/render.tsx';
import { BatchJobs, compactSnapshot } from './batch-jobs.ts';

const id = (n: number) => n.toString(16).padStart(32, '0');

/** Every field set, every optional part present, with times as the server writes them (toISOString). */
const FULL: BatchJob = {
  id: '019c56457340753ba9441d7b4e6516a0',
  state: 'Succeeded',
  fileName: 'Grüße photo.png',
  targetFormat: 'jpg',
  addedAt: '2026-11-29T09:50:00.123Z',
  submittedAt: '2026-11-29T09:50:01.000Z',
  last: {
    progress: { percent: 100, phase: 'packaging' },
    metrics: { inputBytes: 5_000_000_000, outputBytes: 80_000, creditCost: 3 },
    error: { code: 'convert.failed', detail: 'It broke.' },
    output: { fileName: 'photo.jpg', contentType: 'image/jpeg', fileCount: 2 },
  },
  lastCheckedAt: '2026-11-29T09:59:59.999Z',
  lastSeenActiveAt: '2026-11-29T09:55:00.000Z',
  firstSeenRunningAt: '2026-11-29T09:51:00.000Z',
  firstSeenTerminalAt: '2026-11-29T09:56:00.000Z',
  downloadedAt: '2026-11-29T09:57:00.000Z',
  outputExpired: true,
  expiry: { earliest: '2026-11-29T10:55:00.000Z', latest: '2026-11-29T10:56:00.000Z' },
  problem: { error: 'rate_limited', detail: 'Slow down.', status: 429, isRetryable: true },
  kept: { at: '2026-11-29T09:58:00.000Z', until: '2026-12-06T09:58:00.000Z', bytes: 80_000, fileName: 'photo.jpg' },
  keepProblem: null,
};

/** Every nullable field null. */
const EMPTY: BatchJob = {
  id: id(2),
  state: 'Unknown',
  fileName: null,
  targetFormat: null,
  addedAt: '2026-11-29T09:00:00.000Z',
  submittedAt: null,
  last: null,
  lastCheckedAt: null,
  lastSeenActiveAt: null,
  firstSeenRunningAt: null,
  firstSeenTerminalAt: null,
  downloadedAt: null,
  outputExpired: false,
  expiry: null,
  problem: null,
  kept: null,
  keepProblem: null,
};

describe('compact batch jobs', () => {
  it('gives back every field of every job exactly', () => {
    const jobs = [
      FULL,
      EMPTY,
      { ...EMPTY, id: id(3), state: 'Failed', last: { progress: { percent: 37.5, phase: null }, metrics: { inputBytes: 0, outputBytes: 0, creditCost: 0 }, error: { code: 'convert.invalid_input', detail: null }, output: null } },
      { ...EMPTY, id: id(4), state: 'Succeeded', expiry: { unknown: true, earliest: '2026-11-29T09:10:00.000Z', latest: '2026-11-29T10:10:00.000Z' } },
      { ...EMPTY, id: id(5), state: 'Succeeded', expiry: { unknown: true, earliest: '2026-11-29T09:10:00.000Z' } },
      { ...EMPTY, id: id(6), state: 'Gone', problem: { error: 'jobs.not_found', detail: null, status: 404 } },
      { ...EMPTY, id: id(7), fileName: '', targetFormat: '' },
      { ...EMPTY, id: id(8), state: 'Succeeded', keepProblem: 'disk_full' },
    ] satisfies BatchJob[];
    const compact = new BatchJobs(jobs);
    expect(compact.length).toBe(jobs.length);
    jobs.forEach((job, row) => {
      expect(compact.job(row)).toEqual(job);
      expect(compact.materialize(row)).toEqual(job);
    });
  });

  it('reads times in any ISO form and gives them back as toISOString()', () => {
    const compact = new BatchJobs([makeJob({ addedAt: '2026-11-29T09:50:00Z', submittedAt: '2026-11-29T10:50:00+01:00' })]);
    expect(compact.job(0).addedAt).toBe('2026-11-29T09:50:00.000Z');
    expect(compact.job(0).submittedAt).toBe('2026-11-29T09:50:00.000Z');
  });

  it('keeps times far apart (beyond what 32 bits of milliseconds hold) exact', () => {
    const jobs = [makeJob({ id: id(1), addedAt: '2001-01-01T00:00:00.001Z' }), makeJob({ id: id(2), addedAt: '2026-11-29T09:50:00.999Z' })];
    const compact = new BatchJobs(jobs);
    expect(compact.job(0).addedAt).toBe(jobs[0].addedAt);
    expect(compact.job(1).addedAt).toBe(jobs[1].addedAt);
  });

  it('holds an empty batch', () => {
    const snapshot = compactSnapshot({
      batch: {} as never,
      outputs: { keep: true, skippedForSpace: 0, usedBytes: 0, limitBytes: 1, keepDays: 7 },
      jobs: [],
      upstream: { state: 'ok', error: null, since: null },
      serverTime: '2026-11-29T10:00:00.000Z',
      retentionSeconds: 3600,
    });
    expect(snapshot.jobs.length).toBe(0);
    expect(snapshot.jobs.indexOf(id(1))).toBe(-1);
    expect(snapshot.jobs.rowsWithIdContaining('a')).toEqual(new Uint8Array(0));
    expect(snapshot.serverTime).toBe('2026-11-29T10:00:00.000Z');
    expect(snapshot.retentionSeconds).toBe(3600);
  });

  it('finds a job by id among thousands, and says -1 for ids it does not hold', () => {
    const jobs = Array.from({ length: 3000 }, (_, n) => makeJob({ id: id(n * 7919) }));
    const compact = new BatchJobs(jobs);
    expect(compact.indexOf(id(0))).toBe(0);
    expect(compact.indexOf(id(1234 * 7919))).toBe(1234);
    expect(compact.indexOf(id(2999 * 7919))).toBe(2999);
    expect(compact.indexOf(id(1))).toBe(-1);
    expect(compact.indexOf(id(7919).slice(1))).toBe(-1);
    expect(compact.indexOf('')).toBe(-1);
  });

  it('marks the rows whose id contains a text, and only within one id', () => {
    const compact = new BatchJobs([makeJob({ id: 'a'.repeat(31) + 'b' }), makeJob({ id: 'c' + 'a'.repeat(31) }), makeJob({ id: 'd'.repeat(32) })]);
    expect(Array.from(compact.rowsWithIdContaining('ab'))).toEqual([1, 0, 0]);
    // "bc" exists only across the boundary of the first two ids.
    expect(Array.from(compact.rowsWithIdContaining('bc'))).toEqual([0, 0, 0]);
    expect(Array.from(compact.rowsWithIdContaining('ca'))).toEqual([0, 1, 0]);
    expect(Array.from(compact.rowsWithIdContaining('aa'))).toEqual([1, 1, 0]);
  });

  it('answers the row questions the table asks without building jobs', () => {
    const compact = new BatchJobs([
      FULL,
      makeJob({ id: id(2), state: 'Running', fileName: null, last: { ...makeJob().last!, progress: { percent: 42, phase: 'converting' } } }),
      EMPTY,
    ]);
    expect([compact.state(0), compact.state(1), compact.state(2)]).toEqual(['Succeeded', 'Running', 'Unknown']);
    expect([compact.displayName(0), compact.displayName(1)]).toEqual(['Grüße photo.png', id(2)]);
    expect([compact.percentDone(0), compact.percentDone(1), compact.percentDone(2)]).toEqual([100, 42, 0]);
    expect([compact.outputExpired(0), compact.outputExpired(1)]).toEqual([true, false]);
    expect(compact.expiryEarliestMs(0)).toBe(Date.parse('2026-11-29T10:55:00.000Z'));
    expect(compact.expiryEarliestMs(2)).toBeNull();
    expect(compact.addedAtMs(0)).toBe(Date.parse(FULL.addedAt));
  });

  it('gives the same object for a row while the snapshot is current, so memoised rows stay put', () => {
    const compact = new BatchJobs([FULL, EMPTY]);
    expect(compact.job(1)).toBe(compact.job(1));
    expect(compact.materialize(1)).not.toBe(compact.job(1));
  });
});

describe('changes applied to compact rows', () => {
  it('patches changed rows and appends new jobs without rebuilding the columns or touching the old object', () => {
    const before = new BatchJobs([makeJob({ id: id(1), state: 'Queued' }), makeJob({ id: id(2), state: 'Running' })]);
    const changed = makeJob({ id: id(2), state: 'Succeeded', fileName: 'done.png' });
    const added = makeJob({ id: id(3), state: 'Unknown' });
    const after = before.withChanges([changed, added]);
    expect(after).not.toBe(before);
    // An unchanged row is the same object as before: its table row does not re-render.
    expect(after.job(0)).toBe(before.job(0));
    expect(before.state(1)).toBe('Running');
    expect(after.length).toBe(3);
    expect([after.state(0), after.state(1), after.state(2)]).toEqual(['Queued', 'Succeeded', 'Unknown']);
    expect(after.displayName(1)).toBe('done.png');
    expect(after.percentDone(1)).toBe(100);
    expect(after.indexOf(id(3))).toBe(2);
    expect(after.id(2)).toBe(id(3));
    expect(after.job(1)).toEqual(changed);
    expect(Array.from(after.rowsWithIdContaining(id(3)))).toEqual([0, 0, 1]);
    // A later change of an appended job lands on its row, not a new one.
    const again = after.withChanges([{ ...added, state: 'Running' }]);
    expect(again.length).toBe(3);
    expect(again.state(2)).toBe('Running');
  });
});

describe('rows changed between two versions', () => {
  it('names the rows each change touched, across several changes, and the same rows as nothing changed', () => {
    const first = new BatchJobs([makeJob({ id: id(1) }), makeJob({ id: id(2) }), makeJob({ id: id(3) })]);
    const second = first.withChanges([makeJob({ id: id(3), state: 'Running' })]);
    const third = second.withChanges([makeJob({ id: id(1), state: 'Failed' }), makeJob({ id: id(4) })]);
    expect(Array.from(second.changedRowsSince(first)!)).toEqual([2]);
    expect(Array.from(third.changedRowsSince(second)!)).toEqual([0, 3]);
    expect(Array.from(third.changedRowsSince(first)!)).toEqual([2, 0, 3]);
    expect(third.changedRowsSince(third)!.length).toBe(0);
  });

  it('does not know the rows of an unrelated version, a later one, or one too many changes back', () => {
    const first = new BatchJobs([makeJob({ id: id(1) })]);
    const second = first.withChanges([makeJob({ id: id(1), state: 'Running' })]);
    expect(second.changedRowsSince(new BatchJobs([makeJob({ id: id(1) })]))).toBeNull();
    expect(first.changedRowsSince(second)).toBeNull();
    let latest = second;
    for (let n = 0; n < 20; n++) latest = latest.withChanges([makeJob({ id: id(1), last: { ...makeJob().last!, progress: { percent: n, phase: null } } })]);
    expect(latest.changedRowsSince(first)).toBeNull();
  });
});

describe('an uploaded file whose row changes id in place', () => {
  const submission = (history: { jobId: string | null }[] = []) => ({
    id: 'sub_1',
    attempt: history.length + 1,
    history: history.map((h, i) => ({ attempt: i + 1, jobId: h.jobId, outcome: 'Failed', error: 'convert.invalid_input', at: '2026-01-01T00:00:00.000Z' })),
    sourceKept: true,
  });

  it('puts the accepted job in the place of the waiting row instead of adding a row', () => {
    const before = new BatchJobs([makeJob({ id: id(1) }), makeJob({ id: 'sub_1', state: 'Sending', submission: submission() }), makeJob({ id: id(3) })]);
    const after = before.withChanges([makeJob({ id: id(2), state: 'Queued', submission: submission() })]);
    expect(after.length).toBe(3);
    expect([after.id(0), after.id(1), after.id(2)]).toEqual([id(1), id(2), id(3)]);
    expect(after.indexOf(id(2))).toBe(1);
    expect(after.indexOf('sub_1')).toBe(-1);
    expect(after.state(1)).toBe('Queued');
    expect(Array.from(after.rowsWithIdContaining(id(2)))).toEqual([0, 1, 0]);
    expect(Array.from(after.rowsWithIdContaining('sub_1'))).toEqual([0, 0, 0]);
    // The next change of that job lands on the same row.
    const later = after.withChanges([makeJob({ id: id(2), state: 'Failed', submission: submission() })]);
    expect(later.length).toBe(3);
    expect(later.state(1)).toBe('Failed');
  });

  it('puts the waiting file of a retry in the place of the failed job, and the next job in the same place again', () => {
    const before = new BatchJobs([makeJob({ id: id(2), state: 'Failed', submission: submission() }), makeJob({ id: id(3) })]);
    const waiting = before.withChanges([makeJob({ id: 'sub_1', state: 'Waiting', submission: submission([{ jobId: id(2) }]) })]);
    expect(waiting.length).toBe(2);
    expect(waiting.id(0)).toBe('sub_1');
    expect(waiting.indexOf(id(2))).toBe(-1);
    const accepted = waiting.withChanges([makeJob({ id: id(4), state: 'Queued', submission: submission([{ jobId: id(2) }]) })]);
    expect(accepted.length).toBe(2);
    expect([accepted.id(0), accepted.id(1)]).toEqual([id(4), id(3)]);
  });

  it('adds a row as before when none of the ids it may replace is listed', () => {
    const before = new BatchJobs([makeJob({ id: id(1) })]);
    const after = before.withChanges([makeJob({ id: id(2), submission: submission([{ jobId: id(9) }]) })]);
    expect(after.length).toBe(2);
    expect(after.id(1)).toBe(id(2));
  });
});

describe('compact batch jobs with changes applied', () => {
  it('gives the output facts of a changed row from its change, not from the columns of before', () => {
    const before = new BatchJobs([makeJob({ id: id(1), state: 'Running' })]);
    const at = '2026-11-29T10:10:00.000Z';
    const kept = { at, until: '2026-12-06T10:10:00.000Z', bytes: 5, fileName: 'photo.jpg' };
    const after = before.withChanges([makeJob({ id: id(1), state: 'Succeeded', expiry: { earliest: at, latest: at }, kept })]);
    expect(after.outputFacts(0)).toMatchObject({ state: 'Succeeded', expiry: { earliest: at }, kept });
    expect(after.isKept(0)).toBe(true);
    expect(before.isKept(0)).toBe(false);
  });
});
