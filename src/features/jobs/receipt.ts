import type { BatchJob } from '../../../contract/dashboard-api.ts';
import { formatDateTime, formatTime } from '../../lib/format.ts';

/**
 * A row's receipt: what became of its output, in a few words. `upstreamGone`: the upstream's copy is gone
 * (seen, or the countdown ended), as `contract/outputs.ts` decides.
 */
export function receiptText(job: Pick<BatchJob, 'state' | 'downloadedAt' | 'kept' | 'keepProblem'>, upstreamGone: boolean): string | null {
  if (job.state !== 'Succeeded') return null;
  const parts: string[] = [];
  if (job.downloadedAt) parts.push(`Downloaded ${formatTime(job.downloadedAt)}`);
  if (job.kept) parts.push(`Kept until ${formatDateTime(job.kept.until)}`);
  else if (upstreamGone) parts.push('Lost: expired before it was kept');
  else if (job.keepProblem === 'disk_full') parts.push('Not kept: disk budget full');
  else if (job.keepProblem === 'failed') parts.push('Not kept: fetching it failed');
  else if (!job.downloadedAt) parts.push('Not downloaded yet');
  return parts.join(' · ');
}
