/**
 * Batch snapshots for 10,000-job batches, cheap on every read:
 * - the whole `"batch":…,"jobs":[…]` text is cached per batch revision, so many tabs polling one batch cost
 *   one build per change; only `upstream` and `serverTime` are spliced in per request;
 * - when the revision moved, one light query lists `(job, version)` in order, and only jobs whose row
 *   version changed are read in full and re-serialised; the rest reuse their cached JSON fragment;
 * - the gzip form of a large body is made once per ETag (off the event loop) and shared by every tab that
 *   asks for it: a 10,000-job body is ~6 MB of JSON and ~0.5 MB gzipped, which is what a remote operator's
 *   link sees on every change. Its `serverTime` is the time it was made, like a revalidated body's
 *   (`X-Server-Time` is the clock to use).
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { BatchContext } from './context.ts';
import { iso } from './expiry.ts';
import type { BatchRow } from './store.ts';
import { summaryFromJobs, toBatchJob, type SummaryFields } from './views.ts';

const MAX_CACHED_BATCHES = 32;
/** Fragments of jobs across all batches; past this the cache starts over (it is only a cache). */
const MAX_CACHED_JOBS = 200_000;
/** Smaller bodies are sent as they are: compressing them saves less than it costs. */
export const GZIP_MIN_BYTES = 16 * 1024;

const gzipAsync = promisify(gzip);

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

export function createSnapshotCache(ctx: Pick<BatchContext, 'store' | 'health' | 'retentionSeconds' | 'outputs'>) {
  const batches = new Map<string, CachedBatch>();
  const fragments = new Map<string, Fragment>();
  const gzipped = new Map<string, { etag: string; bytes: Promise<Buffer> }>();

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
      kept_at: row.kept_at,
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
    const parts = new Array<Fragment>(list.length);
    for (let i = 0; i < list.length; i++) parts[i] = fragment(list[i][0], list[i][1], list[i][2]);
    let jobs = '[';
    for (let i = 0; i < parts.length; i++) jobs += (i === 0 ? '' : ',') + parts[i].json;
    jobs += ']';
    // `outputs.usedBytes` is all batches' together, as of this batch's last change (it is shown next to the count
    // of outputs not kept for lack of space, and that count changing is such a change).
    const text = `"batch":${JSON.stringify(summaryFromJobs(batch, parts))},"outputs":${JSON.stringify(ctx.outputs(batch.id))},"jobs":${jobs}`;
    batches.delete(batch.id);
    batches.set(batch.id, { revision: batch.revision, name: batch.name, core: text });
    if (batches.size > MAX_CACHED_BATCHES) batches.delete(batches.keys().next().value!);
    return text;
  }

  function etag(batch: BatchRow): string {
    const h = ctx.health();
    const since = h.since ? Date.parse(h.since).toString(36) : '0';
    return `"${batch.revision.toString(36)}-${h.state}-${since}-${ctx.retentionSeconds}"`;
  }

  function body(batch: BatchRow, now: number): string {
    return `{${core(batch)},"upstream":${JSON.stringify(ctx.health())},"serverTime":"${iso(now)}","retentionSeconds":${ctx.retentionSeconds}}`;
  }

  return {
    /** Changes whenever the body (less `serverTime`) would: the batch's revision, the upstream health, retention. */
    etag,
    body,
    /** Whether the body is big enough to be worth sending gzipped. */
    worthCompressing(batch: BatchRow): boolean {
      // The core is nearly all of the body, and its JSON is ASCII but for file names: length ≈ bytes.
      return core(batch).length >= GZIP_MIN_BYTES;
    },
    /** The gzipped body for the batch's current ETag, made once per ETag. */
    gzip(batch: BatchRow, now: number): Promise<Buffer> {
      const tag = etag(batch);
      const hit = gzipped.get(batch.id);
      if (hit && hit.etag === tag) return hit.bytes;
      const bytes = gzipAsync(body(batch, now), { level: 6 });
      gzipped.delete(batch.id);
      gzipped.set(batch.id, { etag: tag, bytes });
      if (gzipped.size > MAX_CACHED_BATCHES) gzipped.delete(gzipped.keys().next().value!);
      // A failed compression is not kept: the next request tries again (and this one is sent plain).
      bytes.catch(() => {
        if (gzipped.get(batch.id)?.bytes === bytes) gzipped.delete(batch.id);
      });
      return bytes;
    },
    forget(batchId: string): void {
      batches.delete(batchId);
      gzipped.delete(batchId);
    },
  };
}
