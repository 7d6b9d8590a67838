import { useMemo, useState } from 'react';
import { useTimePassed } from '../../lib/use-time-passed.ts';
import type { BatchJobs } from '../../lib/batch-jobs.ts';
import { outputSummary, type OutputSummary } from './job-view.ts';

/**
 * The header's and chips' output numbers, with the server-clock `serverNow` they were computed for. Recomputed
 * when the snapshot changes and at the next moment one of them changes by the clock alone (a countdown ending,
 * an output entering the last 10 minutes), through the same one-timer hook that flips each row at its
 * countdown's end, so the header and the rows change together.
 */
export function useOutputSummary(jobs: BatchJobs | undefined, serverOffsetMs: number): { summary: OutputSummary | null; serverNow: number } {
  const [nextLocal, setNextLocal] = useState<number | null>(null);
  const passed = useTimePassed(nextLocal);
  const result = useMemo(() => {
    // eslint-disable-next-line react-hooks/purity -- the clock is read when the snapshot changes or the next change is due
    const serverNow = Date.now() + serverOffsetMs;
    return { summary: jobs ? outputSummary(jobs, serverNow) : null, serverNow, passed };
  }, [jobs, serverOffsetMs, passed]);
  const next = result.summary?.nextChangeMs ?? null;
  const wanted = next === null ? null : next - serverOffsetMs;
  // Adjusting state while rendering (React's documented pattern): the timer's target follows the summary.
  if (wanted !== nextLocal) setNextLocal(wanted);
  return { summary: result.summary, serverNow: result.serverNow };
}
