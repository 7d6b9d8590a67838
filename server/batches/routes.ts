/**
 * The /api routes of batches (see the route list in contract/dashboard-api.ts). Snapshots never call the
 * upstream: they read what the tracker recorded.
 */
import negotiate from '@fastify/accept-negotiator';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type {
  AddIdsResponse,
  BatchListResponse,
  CreateBatchResponse,
  DashboardConfig,
  RemoveIdsResponse,
} from '../../contract/dashboard-api.ts';
import { ErrorCode } from '../../contract/errors.ts';
import { createIdExtractor, normalizeJobId, tokenBoundary } from '../../contract/job-id.ts';
import { sendError, type BatchContext } from './context.ts';
import { iso } from './expiry.ts';
import { answerLiveSnapshot } from '../live/routes.ts';
import { Slicer } from './slicer.ts';
import { createSnapshotCache } from './snapshot.ts';
import { BatchGoneError, JobCapError, type BatchRow } from './store.ts';
import { AddIdsBody, BatchJobParams, BatchParams, CreateBatchBody, RemoveIdsBody, RenameBatchBody, storedName } from './validate.ts';
import { createSummaryCache, summaryFromRow, toBatchJob } from './views.ts';

/** 150,000 pasted ids (5 MB bare) with log-line noise around them fit. */
const IDS_BODY_LIMIT = 16 * 1024 * 1024;
/** Characters of pasted text read per step (a few ms each). */
const TEXT_STEP = 32 * 1024;
/**
 * Jobs handed to the tracker per step. Each costs a row read: 1000 per step measured 60-200 ms on a busy
 * machine and, 150 times over, set the paste's loop-delay p99 (bench:paste); 50 stay within a slice.
 */
const LISTED_STEP = 50;
const NAME_LEFT_EMPTY = 'name must contain visible characters (bidirectional controls and zero-width characters are removed).';

export async function registerBatchRoutes(untyped: FastifyInstance, ctx: BatchContext): Promise<void> {
  const app = untyped.withTypeProvider<TypeBoxTypeProvider>();
  const { store, clock } = ctx;
  const snapshots = createSnapshotCache(ctx);
  const summaries = createSummaryCache(store);

  function batchOr404(batchId: string, reply: FastifyReply) {
    const batch = store.getBatch(batchId);
    if (!batch) sendError(reply, 404, ErrorCode.batchNotFound, `No batch with id "${batchId.slice(0, 80)}".`);
    return batch;
  }

  /**
   * Extracts the ids of a paste and lists them in a batch (a new one for `{name}`), all in slices so that
   * other requests never wait long behind a big paste (see Slicer). Null when the answer was sent already.
   */
  async function importIds(
    target: { batchId: string } | { name: string },
    text: string,
    reply: FastifyReply,
  ): Promise<{ batch: BatchRow; ids: AddIdsResponse } | null> {
    const slicer = new Slicer();
    const extractor = createIdExtractor();
    for (let start = 0; start < text.length; ) {
      const end = tokenBoundary(text, start + TEXT_STEP);
      extractor.add(text.slice(start, end));
      start = end;
      await slicer.tick();
    }
    const extracted = extractor.result();
    let imported;
    try {
      imported = await store.importJobs(target, extracted.ids, clock.now(), ctx.limits, slicer);
    } catch (error) {
      if (error instanceof JobCapError) {
        sendError(reply, 413, ErrorCode.tooManyJobs, error.message, { limit: error.limit });
        return null;
      }
      if (error instanceof BatchGoneError) {
        sendError(reply, 404, ErrorCode.batchNotFound, error.message);
        return null;
      }
      throw error;
    }
    const { added } = imported;
    for (let start = 0; start < added.length; start += LISTED_STEP) {
      ctx.jobsListed(added.slice(start, start + LISTED_STEP), added.length);
      await slicer.tick();
    }
    return {
      batch: imported.batch,
      ids: { added, duplicates: extracted.duplicates + (extracted.ids.length - added.length), rejected: extracted.rejected },
    };
  }

  app.get('/api/config', async (): Promise<DashboardConfig> => ({
    upstream: ctx.upstreamLabel,
    retentionSeconds: ctx.retentionSeconds,
  }));

  app.get('/api/batches', async (): Promise<BatchListResponse> => ({
    batches: summaries.list(),
    upstream: ctx.health(),
    serverTime: iso(clock.now()),
  }));

  app.post('/api/batches', { bodyLimit: IDS_BODY_LIMIT, schema: { body: CreateBatchBody } }, async (request, reply) => {
    const body = request.body;
    const name = storedName(body.name);
    if (name === null) return sendError(reply, 400, ErrorCode.invalidBody, NAME_LEFT_EMPTY);
    let batch: BatchRow;
    let ids: AddIdsResponse | null = null;
    if (typeof body.ids === 'string') {
      // The batch and its ids in one transaction: a failure leaves no empty batch behind.
      const imported = await importIds({ name }, body.ids, reply);
      if (!imported) return reply;
      ({ batch, ids } = imported);
    } else {
      batch = store.createBatch(name, clock.now());
    }
    const answer: CreateBatchResponse = { batch: summaryFromRow(store.summary(batch.id)!), ids };
    return reply.code(201).send(answer);
  });

  const snapshotQuery = Type.Object({ since: Type.Optional(Type.String()), rows: Type.Optional(Type.String()) });
  app.get('/api/batches/:batchId', { schema: { params: BatchParams, querystring: snapshotQuery } }, async (request, reply) => {
    const batch = batchOr404(request.params.batchId, reply);
    if (!batch) return reply;
    ctx.markViewed(batch.id);
    const live = answerLiveSnapshot(ctx.live, request, reply, batch);
    if (live) return live;
    const now = clock.now();
    reply.header('x-server-time', iso(now));
    // Revalidate every time: the body changes whenever the tracker records something.
    reply.header('cache-control', 'no-cache');
    reply.header('vary', 'accept-encoding');
    const etag = snapshots.etag(batch);
    // Weak: bodies with one tag differ in `serverTime` and in encoding, while meaning the same.
    reply.header('etag', `W/${etag}`);
    if (matchesEtag(request.headers['if-none-match'], etag)) return reply.code(304).send();
    reply.type('application/json; charset=utf-8');
    const acceptEncoding = request.headers['accept-encoding'];
    if (acceptEncoding && snapshots.worthCompressing(batch) && negotiate(acceptEncoding, ['gzip']) === 'gzip') {
      try {
        const bytes = await snapshots.gzip(batch, now);
        return reply.header('content-encoding', 'gzip').send(bytes);
      } catch (error) {
        request.log.warn({ err: error }, 'gzip of a snapshot failed; sent uncompressed');
      }
    }
    return reply.send(snapshots.body(batch, now));
  });

  app.patch('/api/batches/:batchId', { schema: { params: BatchParams, body: RenameBatchBody } }, async (request, reply) => {
    const batch = batchOr404(request.params.batchId, reply);
    if (!batch) return reply;
    const name = storedName(request.body.name);
    if (name === null) return sendError(reply, 400, ErrorCode.invalidBody, NAME_LEFT_EMPTY);
    store.renameBatch(batch.id, name);
    return summaryFromRow(store.summary(batch.id)!);
  });

  app.delete('/api/batches/:batchId', { schema: { params: BatchParams } }, async (request, reply) => {
    const batch = batchOr404(request.params.batchId, reply);
    if (!batch) return reply;
    ctx.batchDeleting?.(batch.id);
    const { unlinked } = store.deleteBatch(batch.id);
    snapshots.forget(batch.id);
    ctx.jobsUnlisted(unlinked);
    return reply.code(204).send();
  });

  const idsRoute = { bodyLimit: IDS_BODY_LIMIT, schema: { params: BatchParams, body: AddIdsBody } };
  app.post('/api/batches/:batchId/ids', idsRoute, async (request, reply) => {
    const batch = batchOr404(request.params.batchId, reply);
    if (!batch) return reply;
    const imported = await importIds({ batchId: batch.id }, request.body.text, reply);
    return imported ? imported.ids : reply;
  });

  const removeRoute = { bodyLimit: IDS_BODY_LIMIT, schema: { params: BatchParams, body: RemoveIdsBody } };
  app.post('/api/batches/:batchId/remove', removeRoute, async (request, reply) => {
    const batch = batchOr404(request.params.batchId, reply);
    if (!batch) return reply;
    // The schema let through only ids of a valid shape.
    const ids = request.body.ids.map((raw) => normalizeJobId(raw)!);
    const { removed, unlinked } = store.removeJobs(batch.id, ids);
    ctx.jobsUnlisted(unlinked);
    const answer: RemoveIdsResponse = { removed };
    return answer;
  });

  app.post('/api/batches/:batchId/jobs/:jobId/refresh', { schema: { params: BatchJobParams } }, async (request, reply) => {
    const batch = batchOr404(request.params.batchId, reply);
    if (!batch) return reply;
    const jobId = normalizeJobId(request.params.jobId)!;
    const before = store.getBatchJob(batch.id, jobId);
    if (!before) return sendError(reply, 404, ErrorCode.jobNotInBatch, `Job ${jobId} is not in this batch.`);
    await ctx.tracker.refresh(jobId, before.submitted_at ?? before.added_at);
    const after = store.getBatchJob(batch.id, jobId) ?? before;
    return toBatchJob(after, ctx.retentionSeconds);
  });
}

function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
