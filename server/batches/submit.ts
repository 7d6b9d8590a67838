/**
 * `POST /api/batches/:batchId/files`: streams the browser's multipart body unchanged to `POST /convert` and
 * records the job in the batch before answering, so no job is ever created untracked. Never retried: a
 * submission is not idempotent. Upstream errors (400, 413, 429 + Retry-After …) pass through unchanged.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { PassThrough } from 'node:stream';
import type { SubmitFileResponse } from '../../contract/dashboard-api.ts';
import { ErrorCode } from '../../contract/errors.ts';
import { normalizeJobId } from '../../contract/job-id.ts';
import { upstreamFailure } from '../upstream.ts';
import { sendError, type BatchContext } from './context.ts';
import { BatchParams, SubmitFileQuery, isPlainObject } from './validate.ts';
import { toBatchJob } from './views.ts';

const PASSED_HEADERS = ['content-type', 'content-length', 'retry-after'] as const;

export async function registerSubmitRoute(app: FastifyInstance, ctx: BatchContext): Promise<void> {
  // Encapsulated: only this route leaves the body unread, so it can be streamed to the upstream as it arrives.
  await app.register(async (child) => {
    child.removeAllContentTypeParsers();
    child.addContentTypeParser('*', (_request, _payload, done) => done(null));

    const schema = { params: BatchParams, querystring: SubmitFileQuery };
    child.withTypeProvider<TypeBoxTypeProvider>().post('/api/batches/:batchId/files', { schema }, async (request, reply) => {
      const { batchId } = request.params;
      const batch = ctx.store.getBatch(batchId);
      if (!batch) return sendError(reply, 404, ErrorCode.batchNotFound, `No batch with id "${batchId}".`);
      const targetFormat = request.query.targetFormat.toLowerCase();
      const fileName = request.query.fileName.trim();
      const contentType = request.headers['content-type'] ?? '';
      const boundary = multipartBoundary(contentType);
      if (!boundary) {
        return sendError(reply, 400, ErrorCode.invalidContentType, 'Send the file as multipart/form-data with one part named "file".');
      }
      let prefix: Buffer | null = null;
      if (request.query.options !== undefined) {
        const options = parseJson(request.query.options);
        if (!isPlainObject(options)) return sendError(reply, 400, ErrorCode.invalidParameter, 'options must be a JSON object.');
        // The Convert API reads options from the form only: send them as a leading form field.
        prefix = Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="options"\r\n\r\n${JSON.stringify(options)}\r\n`,
        );
      }

      const headers: Record<string, string> = { 'content-type': contentType, accept: 'application/json' };
      const length = request.headers['content-length'];
      if (length !== undefined && /^\d+$/.test(length)) headers['content-length'] = String(Number(length) + (prefix?.length ?? 0));

      const abort = new AbortController();
      // A browser that goes away mid-upload aborts the upstream request at once.
      const onClose = () => {
        if (!reply.raw.writableFinished) abort.abort();
      };
      reply.raw.once('close', onClose);
      // undici destroys the body it was given when the upstream fails; handing it our own PassThrough
      // keeps the browser's connection alive for the 502 answer (destroying request.raw would reset it).
      const body = new PassThrough();
      body.on('error', () => {});
      if (prefix) body.write(prefix);
      request.raw.pipe(body);

      let response;
      try {
        response = await ctx.upstream.request({
          method: 'POST',
          path: `/convert?targetFormat=${encodeURIComponent(targetFormat)}`,
          headers,
          body,
          signal: abort.signal,
        });
      } catch (err) {
        if (abort.signal.aborted) return reply;
        const failure = upstreamFailure(err);
        return sendError(reply, failure.status, failure.code, failure.detail);
      }
      const text = await ctx.upstream.text(response);

      if (response.statusCode === 202) {
        const accepted = parseJson(text) as { id?: unknown; creditCost?: unknown } | null;
        const jobId = typeof accepted?.id === 'string' ? normalizeJobId(accepted.id) : null;
        if (!jobId) {
          request.log.error({ status: 202 }, 'upstream accepted a submission without a usable job id');
          return sendError(reply, 502, ErrorCode.upstreamBadResponse, 'The Convert API accepted the file but answered without a job id.');
        }
        const at = ctx.clock.now();
        ctx.store.recordSubmission(batch.id, jobId, {
          fileName,
          targetFormat,
          at,
          creditCost: typeof accepted?.creditCost === 'number' ? accepted.creditCost : 0,
        });
        ctx.tracker.track(jobId, at);
        const row = ctx.store.getBatchJob(batch.id, jobId) ?? { ...ctx.store.getJob(jobId)!, link_added_at: at };
        const answer: SubmitFileResponse = { job: toBatchJob(row, ctx.retentionSeconds) };
        return reply.code(202).send(answer);
      }

      reply.code(response.statusCode);
      for (const name of PASSED_HEADERS) {
        const value = response.headers[name];
        if (typeof value === 'string' && name !== 'content-length') reply.header(name, value);
      }
      return reply.send(text);
    });
  });
}

function multipartBoundary(contentType: string): string | null {
  if (!/^multipart\/form-data\s*;/i.test(contentType)) return null;
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType);
  return match ? (match[1] ?? match[2]) : null;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
