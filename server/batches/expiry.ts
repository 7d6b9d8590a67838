/**
 * When a Succeeded job's output will be deleted upstream. The status has no timestamps, so completion is
 * only known to lie in (lastSeenActiveAt, firstSeenTerminalAt]; the output lives `retention` after completion.
 * Exact semantics (also documented on `BatchJob.expiry` in contract/dashboard-api.ts):
 * - seen active before: `{earliest: max(lastSeenActiveAt + retention, firstSeenTerminalAt), latest: firstSeenTerminalAt + retention}`
 *   (if the output was there when first seen finished, it cannot have been deleted before that moment);
 * - never seen active (an id pasted after it finished): completion may have been any time before, so the output
 *   may go at any moment: `{unknown: true, earliest: firstSeenTerminalAt, latest: firstSeenTerminalAt + retention}`;
 * - not Succeeded, or never seen finished: null.
 */
import type { BatchJob, ExpiryWindow } from '../../contract/dashboard-api.ts';

export function expiryWindow(
  state: BatchJob['state'],
  lastSeenActiveAt: number | null,
  firstSeenTerminalAt: number | null,
  retentionSeconds: number,
): BatchJob['expiry'] {
  if (state !== 'Succeeded' || firstSeenTerminalAt === null) return null;
  const retentionMs = retentionSeconds * 1000;
  const latest = iso(firstSeenTerminalAt + retentionMs);
  if (lastSeenActiveAt === null || lastSeenActiveAt > firstSeenTerminalAt) {
    return { unknown: true, earliest: iso(firstSeenTerminalAt), latest };
  }
  const window: ExpiryWindow = {
    earliest: iso(Math.max(lastSeenActiveAt + retentionMs, firstSeenTerminalAt)),
    latest,
  };
  return window;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
