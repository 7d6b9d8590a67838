import { describe, expect, it } from 'vitest';
import type { BatchJob, ViewState } from '../../../contract/dashboard-api.ts';
import { NOW, makeJob } from '../../testing/render.tsx';
import { BatchJobs } from '../../lib/batch-jobs.ts';
import { matchesJobFilter } from '../../../contract/job-filter.ts';
import { RECEIPT_FILTERS, VIEW_STATES } from '../../../contract/dashboard-api.ts';
import { filterRows, outputSummary, parseJobView, sortRows, visibleRows, type ComputedFor, type JobSort, type OutputSummary } from './job-view.ts';

const at = (minute: number) => `2026-11-29T09:${String(minute).padStart(2, '0')}:00.000Z`;
const succeeded = (expiresMinute: number): Partial<BatchJob> => ({ state: 'Succeeded', expiry: { earliest: at(expiresMinute), latest: at(expiresMinute) } });

// Rows: 0 b.png Running 40 %, 1 (no name) Succeeded expiring at :30, 2 A.png Failed, 3 c.png Succeeded expiring at :20
// but already expired, 4 d.png Succeeded expiring at :25. Added in the order 2, 0, 1, 4, 3 (minutes 1 … 5).
const JOBS = new BatchJobs([
  makeJob({ id: 'aaaa0000000000000000000000000001', fileName: 'b.png', state: 'Running', addedAt: at(2), last: { ...makeJob().last!, progress: { percent: 40, phase: 'converting' } } }),
  makeJob({ id: 'bbbb0000000000000000000000000002', fileName: null, addedAt: at(3), ...succeeded(30) }),
  makeJob({ id: 'cccc0000000000000000000000000003', fileName: 'A.png', state: 'Failed', addedAt: at(1) }),
  makeJob({ id: 'dddd0000000000000000000000000004', fileName: 'c.png', addedAt: at(5), ...succeeded(20), outputExpired: true }),
  makeJob({ id: 'eeee0000000000000000000000000005', fileName: 'd.PNG', addedAt: at(4), ...succeeded(25) }),
]);

/** Before any countdown ended: only the output seen gone (row 3) reads Expired. */
const BEFORE = Date.parse(at(10));
const rows = (status: ViewState | null, query: string, serverNow = BEFORE) => Array.from(filterRows(JOBS, { status, query }, serverNow));
const sorted = (sort: Parameters<typeof sortRows>[2]) => Array.from(sortRows(JOBS, Uint32Array.of(0, 1, 2, 3, 4), sort));

describe('job view', () => {
  it('filters by status and searches ids (dashes ignored) and file names (any case)', () => {
    expect(rows(null, '')).toEqual([0, 1, 2, 3, 4]);
    expect(rows('Succeeded', '')).toEqual([1, 4]);
    expect(rows('Expired', '')).toEqual([3]);
    // Once their countdowns ended, every succeeded job reads Expired: chips count what rows show.
    expect(rows('Expired', '', NOW)).toEqual([1, 3, 4]);
    expect(rows('Succeeded', '', NOW)).toEqual([]);
    expect(rows(null, 'BBBB-0000')).toEqual([1]);
    expect(rows(null, '.png')).toEqual([0, 2, 3, 4]);
    expect(rows('Succeeded', 'png')).toEqual([4]);
    expect(rows(null, '  0005 ')).toEqual([4]);
    expect(rows(null, 'zzz')).toEqual([]);
  });

  it('sorts newest first, by status, progress, soonest expiry and name, ties in the order added', () => {
    expect(sorted('added')).toEqual([3, 4, 1, 0, 2]);
    expect(sorted('status')).toEqual([2, 0, 1, 3, 4]);
    expect(sorted('progress')).toEqual([1, 3, 4, 0, 2]);
    // Expired outputs and jobs without output sort last.
    expect(sorted('expires')).toEqual([4, 1, 0, 2, 3]);
    expect(sorted('name')).toEqual([2, 0, 1, 3, 4]);
  });

  it('keeps the order added among jobs added at the same moment, and puts a later one first', () => {
    const same = Array.from({ length: 4 }, (_, n) => makeJob({ id: String(n).padStart(32, '0'), addedAt: at(1) }));
    expect(Array.from(sortRows(new BatchJobs(same), Uint32Array.of(0, 1, 2, 3), 'added'))).toEqual([0, 1, 2, 3]);
    same[2] = { ...same[2], addedAt: at(2) };
    expect(Array.from(sortRows(new BatchJobs(same), Uint32Array.of(0, 1, 2, 3), 'added'))).toEqual([2, 0, 1, 3]);
  });

  it('selects exactly the rows the export and the ZIP select (contract/job-filter.ts), for every chip and a few searches', () => {
    const all = Array.from({ length: JOBS.length }, (_, row) => JOBS.materialize(row));
    for (const serverNow of [BEFORE, NOW]) {
      for (const status of [null, ...VIEW_STATES]) {
        for (const receipt of [null, ...RECEIPT_FILTERS]) {
          for (const query of ['', 'png', 'BBBB-0000', '---', 'zzz']) {
            const expected = all.flatMap((job, row) => (matchesJobFilter(job, { status, receipt, query }, serverNow) ? [row] : []));
            expect(Array.from(filterRows(JOBS, { status, query, receipt }, serverNow))).toEqual(expected);
          }
        }
      }
    }
  });

  it('sorts by observed wait and run time, longest first, jobs not observed last', () => {
    const timed = (n: number, waitS: number | null, runS: number | null) =>
      makeJob({
        id: String(n).padStart(32, '0'),
        state: 'Succeeded',
        submittedAt: at(0),
        firstSeenRunningAt: waitS === null ? null : new Date(Date.parse(at(0)) + waitS * 1000).toISOString(),
        firstSeenTerminalAt: runS === null || waitS === null ? null : new Date(Date.parse(at(0)) + (waitS + runS) * 1000).toISOString(),
      });
    const jobs = new BatchJobs([timed(0, 5, 10), timed(1, null, null), timed(2, 20, 1), timed(3, 5, 30)]);
    expect(Array.from(sortRows(jobs, Uint32Array.of(0, 1, 2, 3), 'wait'))).toEqual([2, 0, 3, 1]);
    expect(Array.from(sortRows(jobs, Uint32Array.of(0, 1, 2, 3), 'run'))).toEqual([3, 0, 2, 1]);
  });

  it('keeps only the listed jobs when asked (the Stalled? chip)', () => {
    const only = new Set(['aaaa0000000000000000000000000001', 'eeee0000000000000000000000000005']);
    expect(Array.from(filterRows(JOBS, { status: null, query: '', only }, BEFORE))).toEqual([0, 4]);
    expect(Array.from(filterRows(JOBS, { status: 'Running', query: '', only }, BEFORE))).toEqual([0]);
  });

  it('reads optional columns and the Stalled? chip from the address, ignoring unknown columns', () => {
    const view = parseJobView(new URLSearchParams('cols=run,bogus,wait&stalled=1&sort=run'));
    expect(view).toMatchObject({ columns: ['wait', 'run'], stalled: true, sort: 'run' });
    expect(parseJobView(new URLSearchParams('')).columns).toEqual([]);
  });

  it('filters, then sorts', () => {
    expect(Array.from(visibleRows(JOBS, { status: 'Succeeded', query: '', sort: 'expires' }, BEFORE))).toEqual([4, 1]);
  });
});

describe('a view carried forward through pushed changes', () => {
  const percent = (n: number): BatchJob['last'] => ({ ...makeJob().last!, progress: { percent: n, phase: 'converting' } });
  const running = (n: number) => makeJob({ id: n.toString(16).padStart(32, '0'), fileName: `f${n % 7}.png`, state: n % 3 === 0 ? 'Queued' : 'Running', addedAt: at(n % 5), last: percent(n % 100) });
  const base = () => new BatchJobs(Array.from({ length: 60 }, (_, n) => running(n)));
  const views: { status: ViewState | null; query: string; sort: JobSort }[] = [
    { status: null, query: '', sort: 'added' },
    { status: 'Running', query: '', sort: 'added' },
    { status: null, query: 'f3', sort: 'progress' },
    { status: 'Queued', query: '', sort: 'status' },
    { status: null, query: '', sort: 'name' },
  ];

  it('gives the same rows and counts as computing them afresh, through moves, state changes and added jobs', () => {
    // A fixed sequence standing in for random pushes: percents move, some jobs change state, some are added.
    for (const view of views) {
      let jobs = base();
      let rows: ComputedFor<Uint32Array> = { jobs, serverNow: BEFORE, nextChangeMs: null, value: visibleRows(jobs, view, BEFORE) };
      let summary: ComputedFor<OutputSummary> = { jobs, serverNow: BEFORE, nextChangeMs: null, value: outputSummary(jobs, BEFORE) };
      for (let step = 1; step <= 30; step++) {
        const n = (step * 17) % 60;
        const changes = [{ ...running(n), last: percent((step * 13) % 100), state: step % 4 === 0 ? 'Failed' : running(n).state }];
        if (step % 10 === 0) changes.push(running(60 + step));
        jobs = jobs.withChanges(changes);
        const now = BEFORE + step;
        const carried = visibleRows(jobs, view, now, rows);
        expect(Array.from(carried)).toEqual(Array.from(visibleRows(jobs, view, now)));
        const counted = outputSummary(jobs, now, summary);
        expect(counted).toEqual(outputSummary(jobs, now));
        rows = { jobs, serverNow: now, nextChangeMs: counted.nextChangeMs, value: carried };
        summary = { jobs, serverNow: now, nextChangeMs: counted.nextChangeMs, value: counted };
      }
    }
  });

  it('keeps the same rows array and summary when a percent moves under the default sort, so nothing redoes its work', () => {
    const jobs = base();
    const view = { status: null, query: '', sort: 'added' as const };
    const first = visibleRows(jobs, view, BEFORE);
    const next = jobs.withChanges([{ ...running(5), last: percent(99) }]);
    expect(visibleRows(next, view, BEFORE + 1, { jobs, serverNow: BEFORE, nextChangeMs: null, value: first })).toBe(first);
    const summary = outputSummary(jobs, BEFORE);
    expect(outputSummary(next, BEFORE + 1, { jobs, serverNow: BEFORE, nextChangeMs: null, value: summary })).toBe(summary);
    // Sorted by progress, the same move reorders the rows.
    const byProgress = visibleRows(jobs, { ...view, sort: 'progress' }, BEFORE);
    const moved = visibleRows(next, { ...view, sort: 'progress' }, BEFORE + 1, { jobs, serverNow: BEFORE, nextChangeMs: null, value: byProgress });
    expect(moved).not.toBe(byProgress);
    expect(moved[0]).toBe(5);
  });

  it('computes afresh once a countdown has ended since the previous result', () => {
    const next = JOBS.withChanges([{ ...JOBS.job(0), last: percent(41) }]);
    const before = outputSummary(JOBS, BEFORE);
    expect(before.nextChangeMs).not.toBeNull();
    const previous = { jobs: JOBS, serverNow: BEFORE, nextChangeMs: before.nextChangeMs, value: before };
    // At NOW every countdown has ended: the carried counts would still say Succeeded.
    expect(outputSummary(next, NOW, previous)).toEqual(outputSummary(next, NOW));
    expect(outputSummary(next, NOW, previous).counts.Succeeded).toBe(0);
  });
});
