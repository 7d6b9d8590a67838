import { useEffect, useRef } from 'react';
import type { ViewCounts } from '../../../contract/dashboard-api.ts';
import { announcer } from '../../lib/announcer.ts';
import { plural } from '../../lib/format.ts';
import type { BatchProgress } from './batch-progress.ts';
import type { FreshnessView } from './freshness-state.ts';

interface Seen {
  batchId: string;
  finished: number;
  failed: number;
  canceled: number;
  complete: boolean;
  stale: boolean;
}

/**
 * Tells screen reader users what changed on the batch page while they were elsewhere on it: jobs finished or
 * failed (counted from the header's counts, so a live delta of 10,000 rows is one comparison), the batch
 * complete, the connection lost and back. The announcer throttles and aggregates.
 */
export function useBatchAnnouncements(batchId: string, name: string, counts: ViewCounts, progress: BatchProgress, freshness: FreshnessView): void {
  const seen = useRef<Seen | null>(null);
  const finished = counts.Succeeded + counts.Expired;
  const complete = progress.measured > 0 && progress.done >= progress.measured;
  const stale = freshness.stale !== null;
  useEffect(() => {
    const before = seen.current;
    seen.current = { batchId, finished, failed: counts.Failed, canceled: counts.Canceled, complete, stale };
    // The first look at a batch is not news.
    if (!before || before.batchId !== batchId) return;
    announcer.count('finished', finished - before.finished);
    announcer.count('failed', counts.Failed - before.failed);
    announcer.count('canceled', counts.Canceled - before.canceled);
    if (complete && !before.complete) {
      announcer.say(
        `${name} is complete: ${plural(finished, 'job')} succeeded${counts.Failed > 0 ? `, ${counts.Failed.toLocaleString()} failed` : ''}${counts.Canceled > 0 ? `, ${counts.Canceled.toLocaleString()} canceled` : ''}.`,
      );
    }
    if (stale && !before.stale) announcer.say(`Not current: ${freshness.label}. The counts stay as they were.`);
    if (!stale && before.stale) announcer.say('Up to date again.');
  }, [batchId, name, finished, counts.Failed, counts.Canceled, complete, stale, freshness.label]);
}
