import { useMemo, useState } from 'react';
import { useTimePassed } from '../../lib/use-time-passed.ts';
import type { BatchJobs } from '../../lib/batch-jobs.ts';
import { outputSummary, visibleRows, type ComputedFor, type JobViewState, type OutputSummary } from './job-view.ts';

/**
 * The last result a hook computed, as a shortcut for its next one; not state: nothing renders from it, and
 * keeping it re-renders nothing. `key`: the inputs besides the rows (a view), which must match to carry it on.
 */
class LastResult<T> {
  private result: ComputedFor<T> | undefined;
  private key = '';

  get(key = ''): ComputedFor<T> | undefined {
    return key === this.key ? this.result : undefined;
  }

  keep(result: ComputedFor<T> | undefined, key = ''): void {
    this.result = result;
    this.key = key;
  }
}

/**
 * The header's and chips' output numbers, with the server-clock `serverNow` they were computed for. Recomputed
 * when the snapshot changes and at the next moment one of them changes by the clock alone (a countdown ending,
 * an output entering the last 10 minutes), through the same one-timer hook that flips each row at its
 * countdown's end, so the header and the rows change together. A pushed change is carried into the previous
 * numbers by the rows it touched, not by a pass over all 10,000.
 */
export function useOutputSummary(jobs: BatchJobs | undefined, serverOffsetMs: number): { summary: OutputSummary | null; serverNow: number } {
  const [nextLocal, setNextLocal] = useState<number | null>(null);
  const passed = useTimePassed(nextLocal);
  const [last] = useState(() => new LastResult<OutputSummary>());
  const result = useMemo(() => {
    // eslint-disable-next-line react-hooks/purity -- the clock is read when the snapshot changes or the next change is due
    const serverNow = Date.now() + serverOffsetMs;
    const summary = jobs ? outputSummary(jobs, serverNow, last.get()) : null;
    last.keep(jobs && summary ? { jobs, serverNow, nextChangeMs: summary.nextChangeMs, value: summary } : undefined);
    return { summary, serverNow, passed };
  }, [jobs, serverOffsetMs, passed, last]);
  const next = result.summary?.nextChangeMs ?? null;
  const wanted = next === null ? null : next - serverOffsetMs;
  // Adjusting state while rendering (React's documented pattern): the timer's target follows the summary.
  if (wanted !== nextLocal) setNextLocal(wanted);
  return { summary: result.summary, serverNow: result.serverNow };
}

/**
 * The table's rows for the view, carried forward from the previous version of the rows when a pushed change
 * moved none of them in or out or up or down (see `visibleRows`). `nextChangeMs`: the output summary's, computed
 * for the same `serverNow`.
 */
export function useVisibleRows(
  jobs: BatchJobs | undefined,
  view: Pick<JobViewState, 'status' | 'query' | 'sort' | 'receipt'> & { only?: ReadonlySet<string> | null },
  serverNow: number,
  nextChangeMs: number | null,
): Uint32Array {
  const [last] = useState(() => new LastResult<Uint32Array>());
  const { status, query, sort, receipt, only = null } = view;
  return useMemo(() => {
    if (!jobs) return new Uint32Array(0);
    const key = JSON.stringify([status, query, sort, receipt]);
    // A set of ids to narrow to (stalled jobs) has no key: rows under it are computed afresh.
    const rows = visibleRows(jobs, { status, query, sort, receipt, only }, serverNow, only ? undefined : last.get(key));
    last.keep({ jobs, serverNow, nextChangeMs, value: rows }, key);
    return rows;
  }, [jobs, status, query, sort, receipt, only, serverNow, nextChangeMs, last]);
}
