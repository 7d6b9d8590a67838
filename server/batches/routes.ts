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
import { extractJobIds, normalizeJobId } from '../../contract/job-id.ts';
import { sendError, type BatchContext } from './context.ts';
import { iso } from './expiry.ts';
import { answerLiveSnapshot } from '../live/routes.ts';
import { createSnapshotCache } from './snapshot.ts';
import { AddIdsBody, BatchJobParams, BatchParams, CreateBatchBody, RemoveIdsBody, RenameBatchBody } from './validate.ts';
import { createSummaryCache, summaryFromRow, toBatchJob } from './views.ts';

/** 10,000 pasted ids with log-line noise around them fit easily. */
const IDS_BODY_LIMIT = 5 * 1024 * 1024;

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

  function addIds(batchId: string, text: string): AddIdsResponse {
    const extracted = extractJobIds(text);
    const added = store.addJobs(batchId, extracted.ids, clock.now());
    ctx.jobsListed(added);
    return {
      added,
      duplicates: extracted.duplicates + (extracted.ids.length - added.length),
      rejected: extracted.rejected,
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
    const batch = store.createBatch(body.name.trim(), clock.now());
    const ids = typeof body.ids === 'string' ? addIds(batch.id, body.ids) : null;
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
    store.renameBatch(batch.id, request.body.name.trim());
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
    return addIds(batch.id, request.body.text);
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
