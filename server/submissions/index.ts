/**
 * Durable submissions (issue 8): the server owns a batch's uploads. See server/submissions/README.md.
 *
 * `POST /api/batches/:id/files` spools the file and answers 202 before any upstream call; the feeder sends it;
 * `POST /api/batches/:id/retry` sends a spooled source again; `POST /api/batches/:id/dismiss` drops rows that
 * have no upstream job. service.ts wires the tracker's observations (`jobChanged`) and batch deletion.
 */
import multipart from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PassThrough, type Readable } from 'node:stream';
import { isSubmissionId, type DismissResponse, type RetryResponse, type SubmitFileResponse } from '../../contract/dashboard-api.ts';
import { ErrorCode } from '../../contract/errors.ts';
import { normalizeJobId } from '../../contract/job-id.ts';
import type { JobStatusResponse } from '../../contract/job.ts';
import { sendError, type BatchContext } from '../batches/context.ts';
import { BatchParams, SubmitFileQuery, isPlainObject, storedName } from '../batches/validate.ts';
import type { LocalAnswer } from '../upstream.ts';
import { toBatchJob } from '../batches/views.ts';
import { createFeeder, type Feeder } from './feeder.ts';
import { newSubmissionId, openSubmissionQueue, type SubmissionQueue, type SubmissionRow } from './queue.ts';
import { openSpool, SpoolFullError, type Spool } from './spool.ts';

export interface SubmissionsOptions {
  dataDir: string;
  /** FEED_MAX_ACTIVE: queued + running jobs the feeder keeps upstream at most. */
  maxActive: number;
  /** SPOOL_MAX_GB in bytes. */
  spoolMaxBytes: number;
  /** SOURCE_RETENTION_HOURS in ms: a source is deleted this long after its job succeeded. */
  sourceRetentionMs: number;
  /** Test hook: see FeederOptions.afterAccepted. */
  afterAccepted?: (count: number) => void;
  /** Test hook (SUBMISSIONS_CRASH_AFTER_RECORDED): called after an upload is recorded and before it is answered. */
  afterRecorded?: (count: number) => void;
}

export interface Submissions {
  register(app: FastifyInstance): Promise<void>;
  /** The tracker (or the proxy) recorded something about this job: a finished one frees a feeder slot. */
  jobChanged(jobId: string): void;
  /** Before a batch is deleted: its waiting files and sources go with it. */
  batchDeleting(batchId: string): void;
  /** Recovers after a crash (`sending` → in doubt), cleans the spool, starts feeding. */
  start(): Promise<void>;
  close(): Promise<void>;
  readonly queue: SubmissionQueue;
  readonly feeder: Feeder;
}

const RETENTION_SWEEP_MS = 60_000;
const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

export function createSubmissions(ctx: BatchContext, opts: SubmissionsOptions): Submissions {
  const queue = openSubmissionQueue(ctx.store);
  const spool: Spool = openSpool(opts.dataDir);
  /** Bytes declared (Content-Length) by uploads still streaming: counted against the limit at once. */
  const reserved = new Map<string, number>();
  let sweepTimer: unknown = null;
  let closed = false;
  let starting: Promise<void> = Promise.resolve();
  let recordedCount = 0;

  const feeder = createFeeder({
    queue,
    spool,
    upstream: ctx.upstream,
    clock: ctx.clock,
    maxActive: opts.maxActive,
    afterAccepted: opts.afterAccepted,
    accepted(jobId, at) {
      ctx.tracker.track(jobId, at);
    },
  });

  function spoolUsed(): number {
    let sum = queue.spoolBytes();
    for (const bytes of reserved.values()) sum += bytes;
    return sum;
  }

  function fullSentence(reason: 'limit' | 'disk'): string {
    const used = formatBytes(queue.spoolBytes());
    const how =
      'Wait for waiting files to be sent and finish (a source is deleted SOURCE_RETENTION_HOURS after its job ' +
      'succeeded), delete batches you no longer need (their files go with them), or raise SPOOL_MAX_GB.';
    return reason === 'disk'
      ? `The disk holding the dashboard's data folder is full (${used} of uploaded files kept). Free space on it. ${how}`
      : `The dashboard keeps at most ${formatBytes(opts.spoolMaxBytes)} of uploaded files (SPOOL_MAX_GB) and ${used} ` +
          `are in use, so this file was not accepted. ${how}`;
  }

  async function deleteSources(paths: readonly string[]): Promise<void> {
    for (const path of paths) await spool.remove(path).catch(() => {});
  }

  async function sweepRetention(): Promise<void> {
    const expired = queue.expiredSources(ctx.clock.now() - opts.sourceRetentionMs);
    for (const sub of expired) {
      queue.dropSource(sub);
      if (sub.source_path) await spool.remove(sub.source_path).catch(() => {});
    }
  }

  function scheduleSweep(): void {
    if (closed) return;
    sweepTimer = ctx.clock.setTimeout(() => {
      void sweepRetention().finally(scheduleSweep);
    }, RETENTION_SWEEP_MS);
  }

  async function receive(request: FastifyRequest<{ Params: { batchId: string }; Querystring: SubmitFileQuery }>, reply: FastifyReply) {
    const { batchId } = request.params;
    const batch = ctx.store.getBatch(batchId);
    if (!batch) return sendError(reply, 404, ErrorCode.batchNotFound, `No batch with id "${batchId}".`);
    const targetFormat = { value: request.query.targetFormat.toLowerCase() };
    const cleaned = storedName(request.query.fileName);
    if (cleaned === null) {
      return sendError(reply, 400, ErrorCode.invalidParameter, 'fileName must contain visible characters (bidirectional controls and zero-width characters are removed).');
    }
    const fileName = { value: cleaned };
    let optionsJson: string | null = null;
    if (request.query.options !== undefined && request.query.options !== '') {
      const options = parseJson(request.query.options);
      if (!isPlainObject(options)) return sendError(reply, 400, ErrorCode.invalidParameter, 'options must be a JSON object.');
      optionsJson = JSON.stringify(options);
    }

    const declared = Number(request.headers['content-length']);
    const room = opts.spoolMaxBytes - spoolUsed();
    if ((Number.isFinite(declared) && declared > room) || room <= 0) {
      reply.header('connection', 'close');
      return sendError(reply, 507, ErrorCode.spoolFull, fullSentence('limit'), { usedBytes: queue.spoolBytes(), maxBytes: opts.spoolMaxBytes });
    }

    // The same limits as every upload (UPLOADS_PER_CLIENT, UPLOAD_IDLE_SECONDS): a stalled browser cannot hold
    // the spool's writer forever.
    const release = ctx.upstream.uploads.begin(request.ip);
    if (!release) return sendLocal(reply, ctx.upstream.uploads.busy);
    reply.raw.once('close', release);

    // Watched from the first byte: a multipart body can stall before its file part even begins.
    let stalled = false;
    const counted = new PassThrough();
    // A stall can come before the spool's pipeline listens (a multipart body stalled before its file part): its
    // error must not be an uncaught exception that ends the dashboard. The pipeline reports it when it runs.
    counted.on('error', () => {});
    const stopWatching = ctx.upstream.uploads.watch(request.raw, counted, () => {
      stalled = true;
      counted.destroy(new Error('upload stalled'));
      if (!reply.sent) {
        reply.header('connection', 'close');
        sendLocal(reply, ctx.upstream.uploads.stalled);
      }
    });
    let body: Readable;
    if (request.isMultipart()) {
      const part = await request.file().catch(() => undefined);
      if (reply.sent) return reply;
      if (!part || part.fieldname !== 'file') {
        stopWatching();
        return sendError(reply, 400, ErrorCode.invalidContentType, 'Send the file as the body, or as multipart/form-data with one part named "file".');
      }
      body = part.file;
    } else {
      body = request.raw;
    }
    body.pipe(counted);
    body.on('error', (error) => counted.destroy(error));

    const id = newSubmissionId();
    reserved.set(id, Number.isFinite(declared) ? declared : 0);
    let bytes: number;
    try {
      bytes = await spool.write(id, counted, room);
    } catch (error) {
      if (stalled) return reply;
      if (error instanceof SpoolFullError) {
        reply.header('connection', 'close');
        return sendError(reply, 507, ErrorCode.spoolFull, fullSentence(error.reason), { usedBytes: queue.spoolBytes(), maxBytes: opts.spoolMaxBytes });
      }
      // The browser went away mid-upload: nothing was kept, nobody to answer.
      if (request.raw.destroyed || reply.raw.destroyed) return reply;
      throw error;
    } finally {
      stopWatching();
      reserved.delete(id);
    }
    if (bytes === 0) {
      await spool.remove(id);
      return sendError(reply, 400, ErrorCode.emptyFile, 'The file is empty.');
    }
    if (!queue.batchExists(batch.id)) {
      await spool.remove(id);
      return sendError(reply, 404, ErrorCode.batchNotFound, 'The batch was deleted while the file was uploading.');
    }
    const at = ctx.clock.now();
    const uploadKey = request.query.uploadKey ?? null;
    const earlier = queue.add({ id, batchId: batch.id, fileName: fileName.value, targetFormat: targetFormat.value, optionsJson, bytes, sourcePath: id, at, uploadKey });
    if (earlier) {
      // The same file again (its first answer was lost): the batch keeps the first copy, in whatever state it is now.
      await spool.remove(id);
    } else {
      opts.afterRecorded?.(++recordedCount);
      feeder.wake();
    }
    const row = ctx.store.getBatchJob(batch.id, earlier ? (earlier.job_id ?? earlier.id) : id)!;
    const answer: SubmitFileResponse = { job: toBatchJob(row, ctx.retentionSeconds) };
    return reply.code(202).send(answer);
  }

  /** Why a row cannot be sent again, or null when it can (with how its last attempt ended). */
  function retryCheck(sub: SubmissionRow | undefined): { reason: string } | { outcome: string; error: string | null } {
    if (!sub) return { reason: 'It was not uploaded through the dashboard (its id was added), so there is no source file to send again.' };
    if (!sub.source_path) {
      return { reason: 'Its source file was deleted (SOURCE_RETENTION_HOURS after it succeeded): upload the file again.' };
    }
    if (sub.state === 'waiting' || sub.state === 'sending') return { reason: 'It is already waiting to be sent.' };
    if (sub.state === 'in_doubt') return { outcome: 'InDoubt', error: null };
    if (sub.state === 'refused') {
      const job = queue.jobState(sub.id);
      const problem = job?.problem_json ? (JSON.parse(job.problem_json) as { error?: string }) : null;
      return { outcome: 'Refused', error: problem?.error ?? null };
    }
    const job = sub.job_id ? queue.jobState(sub.job_id) : undefined;
    if (!job) return { reason: 'Its job is no longer recorded.' };
    const last = job.last_json ? (JSON.parse(job.last_json) as Pick<JobStatusResponse, 'error'>) : null;
    switch (job.state) {
      case 'Failed':
        return { outcome: 'Failed', error: last?.error?.code ?? null };
      case 'Canceled':
        return { outcome: 'Canceled', error: null };
      case 'Succeeded':
        return job.output_expired === 1
          ? { outcome: 'Succeeded', error: 'jobs.expired' }
          : { reason: 'Its output is still available: download it instead.' };
      case 'Queued':
      case 'Running':
      case 'Unknown':
        return { reason: 'It is still queued or running upstream.' };
      default:
        return { reason: `Its job is ${job.state.toLowerCase()} upstream; only failed, canceled or expired jobs are sent again.` };
    }
  }

  function rowSubmission(batchId: string, raw: unknown): { id: string; sub: SubmissionRow | undefined } | null {
    if (typeof raw !== 'string') return null;
    if (isSubmissionId(raw)) {
      const sub = queue.get(raw);
      return { id: raw, sub: sub && sub.batch_id === batchId && sub.state !== 'sent' ? sub : undefined };
    }
    const jobId = normalizeJobId(raw);
    if (!jobId) return null;
    const sub = queue.byJob(jobId);
    return { id: jobId, sub: sub && sub.batch_id === batchId ? sub : undefined };
  }

  return {
    queue,
    feeder,
    async register(app) {
      await app.register(async (child) => {
        child.removeAllContentTypeParsers();
        // Only this route leaves the body unread: it is streamed to the spool as it arrives.
        child.addContentTypeParser('*', (_request, _payload, done) => done(null));
        await child.register(multipart, { limits: { files: 1, fields: 0, fileSize: Number.MAX_SAFE_INTEGER } });
        child
          .withTypeProvider<TypeBoxTypeProvider>()
          .post('/api/batches/:batchId/files', { schema: { params: BatchParams, querystring: SubmitFileQuery } }, receive);
      });

      const typed = app.withTypeProvider<TypeBoxTypeProvider>();
      typed.post('/api/batches/:batchId/retry', { schema: { params: BatchParams } }, async (request, reply) => {
        const { batchId } = request.params;
        const batch = ctx.store.getBatch(batchId);
        if (!batch) return sendError(reply, 404, ErrorCode.batchNotFound, `No batch with id "${batchId}".`);
        const body = request.body;
        if (!isPlainObject(body) || !Array.isArray(body.jobIds) || body.jobIds.length > 100_000) {
          return sendError(reply, 400, ErrorCode.invalidBody, 'Expected a JSON object {"jobIds": ["<job id>", …]} (at most 100,000).');
        }
        const answer: RetryResponse = { accepted: [], refused: [] };
        const unlisted: string[] = [];
        for (const raw of body.jobIds) {
          const found = rowSubmission(batch.id, raw);
          if (!found) {
            answer.refused.push({ jobId: String(raw).slice(0, 80), reason: 'Not a job id (32 hex characters, or 8-4-4-4-12).' });
            continue;
          }
          const check = retryCheck(found.sub);
          if ('reason' in check) {
            answer.refused.push({ jobId: found.id, reason: check.reason });
            continue;
          }
          const sub = found.sub!;
          queue.requeue(sub, { jobId: sub.job_id, outcome: check.outcome, error: check.error }, ctx.clock.now());
          if (sub.job_id && !ctx.store.isListed(sub.job_id)) unlisted.push(sub.job_id);
          answer.accepted.push(found.id);
        }
        ctx.jobsUnlisted(unlisted);
        feeder.wake();
        return reply.code(202).send(answer);
      });

      typed.post('/api/batches/:batchId/dismiss', { schema: { params: BatchParams } }, async (request, reply) => {
        const { batchId } = request.params;
        const batch = ctx.store.getBatch(batchId);
        if (!batch) return sendError(reply, 404, ErrorCode.batchNotFound, `No batch with id "${batchId}".`);
        const body = request.body;
        if (!isPlainObject(body) || !Array.isArray(body.ids)) {
          return sendError(reply, 400, ErrorCode.invalidBody, 'Expected a JSON object {"ids": ["sub_…", …]}.');
        }
        const subs: SubmissionRow[] = [];
        for (const raw of body.ids) {
          const sub = typeof raw === 'string' && isSubmissionId(raw) ? queue.get(raw) : undefined;
          // Only rows with no upstream job that nothing is doing anything with.
          if (sub && sub.batch_id === batch.id && (sub.state === 'in_doubt' || sub.state === 'refused')) subs.push(sub);
        }
        await deleteSources(queue.remove(subs));
        const answer: DismissResponse = { dismissed: subs.map((s) => s.id) };
        return answer;
      });
    },
    jobChanged(jobId) {
      if (closed) return;
      const job = ctx.store.getJob(jobId);
      if (job && job.submission_id && job.state !== 'Queued' && job.state !== 'Running' && job.state !== 'Unknown') feeder.wake();
    },
    batchDeleting(batchId) {
      const subs = queue.ofBatch(batchId);
      // A file being sent right now is left to finish: its job is recorded without a batch, its source kept
      // until the retention sweep (the batch is gone, so only `sent` rows remain, and those are swept).
      const paths = queue.remove(subs.filter((s) => s.state !== 'sending'));
      void deleteSources(paths);
    },
    start() {
      // A send that was under way when the server stopped may have reached the upstream: never re-sent by itself.
      for (const sub of queue.inState('sending')) queue.markInDoubt(sub.id);
      feeder.wake();
      const kept = new Set(queue.sourcePaths());
      // Uploads that started since the listen are still being written; those that finished are recorded.
      starting = spool
        .sweep((name) => closed || kept.has(name) || reserved.has(name.replace(/\.part$/, '')) || queue.get(name) !== undefined)
        .then(() => (closed ? undefined : sweepRetention()))
        .then(() => scheduleSweep());
      return starting;
    },
    async close() {
      closed = true;
      await starting.catch(() => {});
      if (sweepTimer !== null) ctx.clock.clearTimeout(sweepTimer);
      await feeder.close();
    },
  };
}

function sendLocal(reply: FastifyReply, answer: LocalAnswer): FastifyReply {
  for (let i = 0; i < answer.headers.length; i += 2) reply.header(answer.headers[i], answer.headers[i + 1]);
  return sendError(reply, answer.status, answer.code, answer.detail);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function formatBytes(bytes: number): string {
  if (bytes >= GIB) return `${(bytes / GIB).toFixed(1)} GB`;
  if (bytes >= MIB) return `${(bytes / MIB).toFixed(1)} MB`;
  return `${Math.ceil(bytes / 1024)} KB`;
}
