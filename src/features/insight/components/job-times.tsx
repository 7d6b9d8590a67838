import { useJobInsight } from '../api/get-insight.ts';
import { preciseDuration } from '../../../lib/format.ts';

/** A job's observed wait and run times (the batch header shows the batch's median and p95). */
export function JobTimes({ batchId, jobId }: { batchId: string; jobId: string }) {
  const times = useJobInsight(batchId, jobId);
  const row = times.data;
  if (!row) return null;
  return (
    <dl aria-label="Observed times" className="grid max-w-4xl grid-cols-2 gap-4 rounded-lg border border-slate-200 p-4 sm:grid-cols-4 dark:border-slate-800">
      <div>
        <dt className="text-xs text-slate-500 dark:text-slate-400">Wait (submitted → first seen running)</dt>
        <dd className="text-sm tabular-nums">{row.waitMs === null ? 'not observed' : preciseDuration(row.waitMs)}</dd>
      </div>
      <div>
        <dt className="text-xs text-slate-500 dark:text-slate-400">Run (first seen running → finished)</dt>
        <dd className="text-sm tabular-nums">{row.runMs === null ? 'not observed' : preciseDuration(row.runMs)}</dd>
      </div>
    </dl>
  );
}
