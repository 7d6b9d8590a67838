/**
 * The /api routes of batches (see the route list in contract/dashboard-api.ts). Snapshots never call the
 * upstream: they read what the tracker recorded.
 */
import negotiate from '@fastify/accept-negotiator';
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
import { createSnapshotCache } from './snapshot.ts';
import { checkName, isBatchId, isPlainObject } from './validate.ts';
import { createSummaryCache, summaryFromRow, toBatchJob } from './views.ts';

/** 10,000 pasted ids with log-line noise around them fit easily. */
const IDS_BODY_LIMIT = 5 * 1024 * 1024;
const MAX_REMOVE_IDS = 100_000;

type BatchParams = { batchId: string };

export async function registerBatchRoutes(app: FastifyInstance, ctx: BatchContext): Promise<void> {
  const { store, clock } = ctx;
  const snapshots = createSnapshotCache(ctx);
  const summaries = createSummaryCache(store);

  function batchOr404(batchId: string, reply: FastifyReply) {
    const batch = isBatchId(batchId) ? store.getBatch(batchId) : undefined;
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

  app.post('/api/batches', { bodyLimit: IDS_BODY_LIMIT }, async (request, reply) => {
    const body = request.body;
    if (!isPlainObject(body)) return sendError(reply, 400, ErrorCode.invalidBody, 'Expected a JSON object {"name": "...", "ids"?: "..."}.');
    const name = checkName(body.name);
    if (!name.ok) return sendError(reply, 400, ErrorCode.invalidBody, name.detail);
    if (body.ids !== undefined && body.ids !== null && typeof body.ids !== 'string') {
      return sendError(reply, 400, ErrorCode.invalidBody, 'ids must be text (any text containing job ids).');
    }
    const batch = store.createBatch(name.value, clock.now());
    const ids = typeof body.ids === 'string' ? addIds(batch.id, body.ids) : null;
    const answer: CreateBatchResponse = { batch: summaryFromRow(store.summary(batch.id)!), ids };
    return reply.code(201).send(answer);
  });

  app.get<{ Params: BatchParams }>('/api/batches/:batchId', async (request, reply) => {
    const batch = batchOr404(request.params.batchId, reply);
    if (!batch) return reply;
    ctx.markViewed(batch.id);
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

  app.patch<{ Params: BatchParams }>('/api/batches/:batchId', async (request, reply) => {
    const batch = batchOr404(request.params.batchId, reply);
    if (!batch) return reply;
    const body = request.body;
    const name = checkName(isPlainObject(body) ? body.name : undefined);
    if (!name.ok) return sendError(reply, 400, ErrorCode.invalidBody, name.detail);
    store.renameBatch(batch.id, name.value);
    return summaryFromRow(store.summary(batch.id)!);
  });

  app.delete<{ Params: BatchParams }>('/api/batches/:batchId', async (request, reply) => {
    const batch = batchOr404(request.params.batchId, reply);
    if (!batch) return reply;
    ctx.batchDeleting?.(batch.id);
    const { unlinked } = store.deleteBatch(batch.id);
    snapshots.forget(batch.id);
    ctx.jobsUnlisted(unlinked);
    return reply.code(204).send();
  });

  app.post<{ Params: BatchParams }>('/api/batches/:batchId/ids', { bodyLimit: IDS_BODY_LIMIT }, async (request, reply) => {
    const batch = batchOr404(request.params.batchId, reply);
    if (!batch) return reply;
    const body = request.body;
    if (!isPlainObject(body) || typeof body.text !== 'string') {
      return sendError(reply, 400, ErrorCode.invalidBody, 'Expected a JSON object {"text": "<any text containing job ids>"}.');
    }
    return addIds(batch.id, body.text);
  });

  app.post<{ Params: BatchParams }>('/api/batches/:batchId/remove', { bodyLimit: IDS_BODY_LIMIT }, async (request, reply) => {
    const batch = batchOr404(request.params.batchId, reply);
    if (!batch) return reply;
    const body = request.body;
    if (!isPlainObject(body) || !Array.isArray(body.ids)) {
      return sendError(reply, 400, ErrorCode.invalidBody, 'Expected a JSON object {"ids": ["<job id>", …]}.');
    }
    if (body.ids.length > MAX_REMOVE_IDS) {
      return sendError(reply, 400, ErrorCode.invalidBody, `At most ${MAX_REMOVE_IDS} ids per request.`);
    }
    const ids: string[] = [];
    for (const [index, raw] of body.ids.entries()) {
      const id = typeof raw === 'string' ? normalizeJobId(raw) : null;
      if (!id) return sendError(reply, 400, ErrorCode.invalidJobId, `ids[${index}] is not a job id (32 hex characters, or 8-4-4-4-12).`);
      ids.push(id);
    }
    const { removed, unlinked } = store.removeJobs(batch.id, ids);
    ctx.jobsUnlisted(unlinked);
    const answer: RemoveIdsResponse = { removed };
    return answer;
  });

  app.post<{ Params: BatchParams & { jobId: string } }>('/api/batches/:batchId/jobs/:jobId/refresh', async (request, reply) => {
    const batch = batchOr404(request.params.batchId, reply);
    if (!batch) return reply;
    const jobId = normalizeJobId(request.params.jobId);
    if (!jobId) return sendError(reply, 400, ErrorCode.invalidJobId, 'Not a job id (32 hex characters, or 8-4-4-4-12).');
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
