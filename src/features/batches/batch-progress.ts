import type { BatchSummary } from '../../../contract/dashboard-api.ts';
import { MEASURED_STATES, countIn } from '../../../contract/tracked-state.ts';

export interface BatchProgress {
  /** 0–100, rounded. */
  percent: number;
  /** What the percent is shown as: "42%", or "—" when there is nothing to measure. */
  text: string;
  /** For assistive technology (`aria-valuetext`). */
  valueText: string;
}

/**
 * Gone and Forbidden jobs have no progress (they never existed for this account, or belong to another one),
 * and the server leaves them out of `progressPercent`. A batch of only those shows no percent at all rather
 * than a "0%" that reads as "stuck" or a full bar that reads as "done".
 */
export function batchProgress(batch: Pick<BatchSummary, 'jobCount' | 'counts' | 'progressPercent'>): BatchProgress {
  const measured = countIn(batch.counts, MEASURED_STATES);
  if (batch.jobCount === 0) return { percent: 0, text: '—', valueText: 'No jobs yet' };
  if (measured <= 0) return { percent: 0, text: '—', valueText: 'No progress to show: every job is gone or forbidden' };
  const percent = Math.max(0, Math.min(100, Math.round(batch.progressPercent)));
  return { percent, text: `${percent}%`, valueText: `${percent}%` };
}
