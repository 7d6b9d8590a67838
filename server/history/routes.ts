/** The insight routes (contract/insight-api.ts): a batch's insight, its export, totals across batches. */
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import negotiate from '@fastify/accept-negotiator';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ErrorCode } from '../../contract/errors.ts';
import { EXPORT_COLUMNS, type BatchInsight, type ExportRow } from '../../contract/insight-api.ts';
import { isFiltered, parseJobFilterQuery } from '../../contract/job-filter.ts';
import { normalizeJobId } from '../../contract/job-id.ts';
import { parseRevision } from '../../contract/live.ts';
import { sendError, type BatchContext } from '../batches/context.ts';
import { BatchJobParams, BatchParams as BatchParamsSchema } from '../batches/validate.ts';
import type { History } from './recorder.ts';

type BatchParams = { batchId: string };
type ExportQuery = { status?: string; receipt?: string; q?: string; stalled?: string };

/** Rows per chunk written to the response: few enough writes, flat memory. */
const ROWS_PER_CHUNK = 200;

/** An insight body above this is sent gzipped to a browser that takes it (thousands of Stalled? jobs). */
const INSIGHT_GZIP_MIN_BYTES = 8 * 1024;
const gzipAsync = promisify(gzip);

/**
 * An insight's JSON and gzip, made once per insight object: tabs that share one (recorder.insight) share its
 * encoding too.
 */
const encodedInsights = new WeakMap<BatchInsight, { json: string; gzip: Promise<Buffer> | null }>();

function encodedInsight(insight: BatchInsight): { json: string; gzip: () => Promise<Buffer> } {
  let hit = encodedInsights.get(insight);
  if (!hit) encodedInsights.set(insight, (hit = { json: JSON.stringify(insight), gzip: null }));
  const entry = hit;
  return { json: entry.json, gzip: () => (entry.gzip ??= gzipAsync(entry.json)) };
}

export async function registerInsightRoutes(app: FastifyInstance, ctx: BatchContext, history: History): Promise<void> {
  function batchOr404(batchId: string, reply: FastifyReply) {
    const batch = ctx.store.getBatch(batchId);
    if (!batch) sendError(reply, 404, ErrorCode.batchNotFound, `No batch with id "${batchId.slice(0, 80)}".`);
    return batch;
  }

  app.get<{ Params: BatchParams; Querystring: { revision?: string } }>('/api/batches/:batchId/insight', { schema: { params: BatchParamsSchema } }, async (request, reply) => {
    const batch = batchOr404(request.params.batchId, reply);
    if (!batch) return reply;
    const { revision: revisionText } = request.query;
    const seen = revisionText === undefined ? undefined : parseRevision(revisionText);
    if (seen === null) return sendError(reply, 400, ErrorCode.invalidParameter, 'revision must be a batch revision, a whole number.');
    reply.header('cache-control', 'no-store').header('vary', 'accept-encoding').type('application/json; charset=utf-8');
    const body = encodedInsight(await history.insight(batch.id, seen));
    const acceptEncoding = request.headers['accept-encoding'];
    if (body.json.length >= INSIGHT_GZIP_MIN_BYTES && acceptEncoding && negotiate(acceptEncoding, ['gzip']) === 'gzip') {
      return reply.header('content-encoding', 'gzip').send(await body.gzip());
    }
    return reply.send(body.json);
  });

  app.get<{ Params: BatchParams & { jobId: string } }>('/api/batches/:batchId/jobs/:jobId/insight', { schema: { params: BatchJobParams } }, async (request, reply) => {
    const batch = batchOr404(request.params.batchId, reply);
    if (!batch) return reply;
    const jobId = normalizeJobId(request.params.jobId);
    if (!jobId) return sendError(reply, 400, ErrorCode.invalidJobId, 'Not a job id (32 hex characters, or 8-4-4-4-12).');
    const row = history.jobRow(batch.id, jobId);
    if (!row) return sendError(reply, 404, ErrorCode.jobNotInBatch, `Job ${jobId} is not in this batch.`);
    reply.header('cache-control', 'no-store');
    return row;
  });

  app.get('/api/insight/totals', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return history.totals();
  });

  for (const format of ['csv', 'json'] as const) {
    app.get<{ Params: BatchParams; Querystring: ExportQuery }>(`/api/batches/:batchId/export.${format}`, { schema: { params: BatchParamsSchema } }, async (request, reply) => {
      const batch = batchOr404(request.params.batchId, reply);
      if (!batch) return reply;
      const filter = parseJobFilterQuery(request.query);
      if ('error' in filter) return sendError(reply, 400, ErrorCode.invalidParameter, filter.error);
      // The page's "Stalled?" chip: the same judgement as the insight the page shows.
      const only = filter.stalledOnly ? new Set((await history.insight(batch.id)).stalled.map((s) => s.jobId)) : null;
      const rows = history.exportRows(batch.id, filter, only);
      const name = `${fileSafe(batch.name)}${isFiltered(filter) ? '-filtered' : ''}.${format}`;
      reply.header('content-disposition', `attachment; filename="${name}"`);
      reply.header('cache-control', 'no-store');
      reply.type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8');
      return reply.send(Readable.from(format === 'csv' ? csvChunks(rows) : jsonChunks(rows)));
    });
  }
}

function* csvChunks(rows: Iterable<ExportRow>): Generator<string> {
  let chunk = `${EXPORT_COLUMNS.join(',')}\r\n`;
  let n = 0;
  for (const row of rows) {
    chunk += `${EXPORT_COLUMNS.map((c) => csvCell(row[c])).join(',')}\r\n`;
    if (++n % ROWS_PER_CHUNK === 0) {
      yield chunk;
      chunk = '';
    }
  }
  yield chunk;
}

function* jsonChunks(rows: Iterable<ExportRow>): Generator<string> {
  let chunk = '[';
  let n = 0;
  for (const row of rows) {
    chunk += `${n === 0 ? '\n' : ',\n'}${JSON.stringify(row)}`;
    if (++n % ROWS_PER_CHUNK === 0) {
      yield chunk;
      chunk = '';
    }
  }
  yield `${chunk}\n]\n`;
}

/**
 * RFC 4180 quoting; a text cell that a spreadsheet would read as a formula (file names are chosen by whoever
 * uploaded them) gets a leading apostrophe.
 */
export function csvCell(value: string | number | boolean | null): string {
  if (value === null) return '';
  if (typeof value !== 'string') return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function fileSafe(name: string): string {
  const safe = name.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80);
  return safe || 'batch';
}
