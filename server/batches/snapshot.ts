/**
 * Batch snapshots for 10,000-job batches, cheap on every read:
 * - the whole `"batch":…,"jobs":[…]` text is cached per batch revision, so many tabs polling one batch cost
 *   one build per change; only `upstream` and `serverTime` are spliced in per request;
 * - when the revision moved, one light query lists `(job, version)` in order, and only jobs whose row
 *   version changed are read in full and re-serialised; the rest reuse their cached JSON fragment.
 */
import type { BatchContext } from './context.ts';
import { iso } from './expiry.ts';
import type { BatchRow } from './store.ts';
import { summaryFromJobs, toBatchJob, type SummaryFields } from './views.ts';

const MAX_CACHED_BATCHES = 32;
/** Fragments of jobs across all batches; past this the cache starts over (it is only a cache). */
const MAX_CACHED_JOBS = 200_000;

interface CachedBatch {
  revision: number;
  name: string;
  /** `"batch":…,"jobs":[…]` */
  core: string;
}

interface Fragment extends SummaryFields {
  version: number;
  addedAt: number;
  json: string;
}

export function createSnapshotCache(ctx: Pick<BatchContext, 'store' | 'health' | 'retentionSeconds'>) {
  const batches = new Map<string, CachedBatch>();
  const fragments = new Map<string, Fragment>();

  function fragment(jobId: string, version: number, addedAt: number): Fragment {
    const hit = fragments.get(jobId);
    if (hit && hit.version === version && hit.addedAt === addedAt) return hit;
    const row = ctx.store.getJob(jobId)!;
    const made: Fragment = {
      version: row.version,
      addedAt,
      json: JSON.stringify(toBatchJob({ ...row, link_added_at: addedAt }, ctx.retentionSeconds)),
      state: row.state,
      has_output: row.has_output,
      output_expired: row.output_expired,
      percent: row.percent,
      input_bytes: row.input_bytes,
      output_bytes: row.output_bytes,
      credits: row.credits,
    };
    if (fragments.size >= MAX_CACHED_JOBS) fragments.clear();
    fragments.set(jobId, made);
    return made;
  }

  function core(batch: BatchRow): string {
    const hit = batches.get(batch.id);
    if (hit && hit.revision === batch.revision && hit.name === batch.name) return hit.core;
    const list = ctx.store.batchJobVersions(batch.id);
    const parts: Fragment[] = new Array(list.length);
    for (let i = 0; i < list.length; i++) parts[i] = fragment(list[i][0], list[i][1], list[i][2]);
    let jobs = '[';
    for (let i = 0; i < parts.length; i++) jobs += (i === 0 ? '' : ',') + parts[i].json;
    jobs += ']';
    const text = `"batch":${JSON.stringify(summaryFromJobs(batch, parts))},"jobs":${jobs}`;
    batches.delete(batch.id);
    batches.set(batch.id, { revision: batch.revision, name: batch.name, core: text });
    if (batches.size > MAX_CACHED_BATCHES) batches.delete(batches.keys().next().value!);
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
      batches.delete(batchId);
    },
  };
}
