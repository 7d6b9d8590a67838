/**
 * Batch snapshots, built in one pass over the batch's rows and cached per batch revision: however many tabs
 * poll a batch, its JSON is rebuilt only when the tracker recorded something new. Only `upstream` and
 * `serverTime` are spliced in per request.
 */
import type { BatchJob } from '../../contract/dashboard-api.ts';
import type { BatchContext } from './context.ts';
import { iso } from './expiry.ts';
import type { BatchRow } from './store.ts';
import { summaryFromJobs, toBatchJob } from './views.ts';

const MAX_CACHED = 32;

interface Cached {
  revision: number;
  name: string;
  /** `"batch":…,"jobs":[…]` */
  core: string;
}

export function createSnapshotCache(ctx: Pick<BatchContext, 'store' | 'health' | 'retentionSeconds'>) {
  const cache = new Map<string, Cached>();

  function core(batch: BatchRow): string {
    const hit = cache.get(batch.id);
    if (hit && hit.revision === batch.revision && hit.name === batch.name) return hit.core;
    const rows = ctx.store.batchJobs(batch.id);
    const jobs: BatchJob[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) jobs[i] = toBatchJob(rows[i], ctx.retentionSeconds);
    const text = `"batch":${JSON.stringify(summaryFromJobs(batch, rows))},"jobs":${JSON.stringify(jobs)}`;
    cache.delete(batch.id);
    cache.set(batch.id, { revision: batch.revision, name: batch.name, core: text });
    if (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value!);
    return text;
  }

  return {
    /** Changes whenever the body (less `serverTime`) would: the batch's revision, the upstream health, retention. */
    etag(batch: BatchRow): string {
      const h = ctx.health();
      const since = h.since ? Date.parse(h.since).toString(36) : '0';
      return `"${batch.revision.toString(36)}-${h.state}-${since}-${ctx.retentionSeconds}"`;
    },
    body(batch: BatchRow, now: number): string {
      return `{${core(batch)},"upstream":${JSON.stringify(ctx.health())},"serverTime":"${iso(now)}","retentionSeconds":${ctx.retentionSeconds}}`;
    },
    forget(batchId: string): void {
      cache.delete(batchId);
    },
  };
}
