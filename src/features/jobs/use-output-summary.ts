import { useEffect, useMemo, useReducer } from 'react';
import type { BatchJobs } from '../batches/batch-jobs.ts';
import { outputSummary, type OutputSummary } from './job-view.ts';

// setTimeout fires at once for delays beyond a signed 32-bit number of ms (~24.8 days).
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * The header's and chips' output numbers, with the server-clock `serverNow` they were computed for. Recomputed
 * when the snapshot changes and at the next moment one of them changes by the clock alone (a countdown ending,
 * an output entering the last 10 minutes): one timer, no ticking in between.
 */
export function useOutputSummary(jobs: BatchJobs | undefined, serverOffsetMs: number): { summary: OutputSummary | null; serverNow: number } {
  const [wake, rerender] = useReducer((n: number) => n + 1, 0);
  const result = useMemo(() => {
    // eslint-disable-next-line react-hooks/purity -- the clock is read when the snapshot changes or the timer wakes us
    const serverNow = Date.now() + serverOffsetMs;
    return { summary: jobs ? outputSummary(jobs, serverNow) : null, serverNow, wake };
  }, [jobs, serverOffsetMs, wake]);
  const next = result.summary?.nextChangeMs ?? null;
  useEffect(() => {
    if (next === null) return;
    const timer = setTimeout(rerender, Math.min(MAX_DELAY_MS, Math.max(0, next - result.serverNow + 5)));
    return () => clearTimeout(timer);
  }, [next, result.serverNow]);
  return { summary: result.summary, serverNow: result.serverNow };
}
