import type { BatchSummary } from '../../../contract/dashboard-api.ts';
import { DONE_STATES, MEASURED_STATES, countIn } from '../../../contract/tracked-state.ts';
import { plural } from '../../lib/format.ts';

export interface BatchProgress {
  /** 0–100, rounded. */
  percent: number;
  /** What the percent is shown as: "42%", "Ended · 2 failed", or "—" when there is nothing to measure. */
  text: string;
  /** For assistive technology (`aria-valuetext`). */
  valueText: string;
  /** Jobs counted towards progress (all but Gone and Forbidden): the "of M" of "N of M done". */
  measured: number;
  /** Measured jobs that ran to an end of their own (Succeeded, Failed, Canceled, Expired). */
  done: number;
  /** Jobs left out of both (Gone: deleted or unknown upstream; Forbidden: another account's). */
  excluded: number;
}

type ProgressInput = Pick<BatchSummary, 'jobCount' | 'counts' | 'progressPercent'>;

/**
 * Gone and Forbidden jobs have no progress (they never existed for this account, or belong to another one),
 * and the server leaves them out of `progressPercent` and of "done". A batch of only those shows no percent at
 * all rather than a "0%" that reads as "stuck" or a full bar that reads as "done". A batch with failures never
 * reads a bare "100%": a finished one says "Ended · 2 failed", a running one "60% · 1 failed".
 */
export function batchProgress(batch: ProgressInput, counts: ProgressInput['counts'] = batch.counts): BatchProgress {
  // Expired is counted apart from Succeeded (a view state): measured and done both.
  const measured = countIn(counts, MEASURED_STATES) + counts.Expired;
  const done = countIn(counts, DONE_STATES) + counts.Expired;
  const excluded = batch.jobCount - measured;
  const base = { measured, done: Math.min(done, measured), excluded: Math.max(0, excluded) };
  if (batch.jobCount === 0) return { ...base, percent: 0, text: '—', valueText: 'No jobs yet' };
  if (measured <= 0) return { ...base, percent: 0, text: '—', valueText: 'No progress to show: every job is gone or forbidden' };
  const percent = Math.max(0, Math.min(100, Math.round(batch.progressPercent)));
  const failed = counts.Failed;
  if (failed === 0) return { ...base, percent, text: `${percent}%`, valueText: `${percent}%` };
  const failedText = `${failed.toLocaleString()} failed`;
  if (base.done >= measured) {
    return { ...base, percent, text: `Ended · ${failedText}`, valueText: `Ended: ${failed.toLocaleString()} of ${plural(measured, 'job')} failed` };
  }
  return { ...base, percent, text: `${percent}% · ${failedText}`, valueText: `${percent}%, ${failedText} so far` };
}
