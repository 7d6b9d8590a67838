/**
 * The /api routes of kept outputs and "Download all" (see the route list in contract/dashboard-api.ts). Kept
 * copies themselves are served by the proxy's download route (server/proxy.ts), so the browser's Download link
 * has one URL whatever the source.
 */
import type { FastifyInstance } from 'fastify';
import type { Readable } from 'node:stream';
import yazl from 'yazl';
import {
  RECEIPT_FILTERS,
  VIEW_STATES,
  type BatchJob,
  type BatchOutputs,
  type ReceiptFilter,
  type ViewState,
} from '../../contract/dashboard-api.ts';
import { ErrorCode } from '../../contract/errors.ts';
import { normalizeJobId } from '../../contract/job-id.ts';
import { matchesSearch, parseSearch } from '../../contract/job-filter.ts';
import { MAX_ZIP_IDS, matchesReceipt, viewState } from '../../contract/outputs.ts';
import { sendError, type BatchContext } from '../batches/context.ts';
import { BatchParams as BatchParamsSchema, isPlainObject } from '../batches/validate.ts';
import { toBatchJob } from '../batches/views.ts';
import { DOWNLOAD_CSP } from '../security.ts';
import type { Keeper } from './keeper.ts';
import { writeOutputsZip } from './zip.ts';

export const DEFAULT_KEEP_MAX_BYTES = 20 * 1024 ** 3;
export const DEFAULT_KEEP_DAYS = 7;

type BatchParams = { batchId: string };
type ZipQuery = { ids?: string; status?: string; q?: string; receipt?: string };

/** The same match as the batch page's search (contract/job-filter.ts, which the page's `filterRows` uses). */
function matchesQuery(job: BatchJob, query: string): boolean {
  return matchesSearch(job, parseSearch(query));
}

export async function registerOutputRoutes(app: FastifyInstance, ctx: BatchContext, keeper: Keeper): Promise<void> {
  const { store, clock } = ctx;

  app.put<{ Params: BatchParams }>('/api/batches/:batchId/keep-outputs', { schema: { params: BatchParamsSchema } }, async (request, reply) => {
    const { batchId } = request.params;
    const batch = store.getBatch(batchId);
    if (!batch) return sendError(reply, 404, ErrorCode.batchNotFound, `No batch with id "${batchId.slice(0, 80)}".`);
    const body = request.body;
    if (!isPlainObject(body) || typeof body.keep !== 'boolean') {
      return sendError(reply, 400, ErrorCode.invalidBody, 'Expected a JSON object {"keep": true} or {"keep": false}.');
    }
    store.setKeepOutputs(batch.id, body.keep);
    if (body.keep) keeper.considerBatch(batch.id);
    const answer: BatchOutputs = ctx.outputs(batch.id);
    return answer;
  });

  app.get<{ Params: BatchParams; Querystring: ZipQuery }>('/api/batches/:batchId/outputs.zip', { schema: { params: BatchParamsSchema } }, async (request, reply) => {
    const { batchId } = request.params;
    const batch = store.getBatch(batchId);
    if (!batch) return sendError(reply, 404, ErrorCode.batchNotFound, `No batch with id "${batchId.slice(0, 80)}".`);
    const { ids: idsParam, status, q, receipt } = request.query;
    if (status !== undefined && !(VIEW_STATES as readonly string[]).includes(status)) {
      return sendError(reply, 400, ErrorCode.invalidParameter, `status must be one of ${VIEW_STATES.join(', ')}.`);
    }
    if (receipt !== undefined && !(RECEIPT_FILTERS as readonly string[]).includes(receipt)) {
      return sendError(reply, 400, ErrorCode.invalidParameter, `receipt must be one of ${RECEIPT_FILTERS.join(', ')}.`);
    }
    let only: Set<string> | null = null;
    if (idsParam !== undefined) {
      const list = idsParam.split(',').filter(Boolean);
      if (list.length > MAX_ZIP_IDS) {
        return sendError(reply, 400, ErrorCode.invalidParameter, `At most ${MAX_ZIP_IDS} ids; for more, download by filter.`);
      }
      only = new Set();
      for (const [index, raw] of list.entries()) {
        const id = normalizeJobId(raw);
        if (!id) return sendError(reply, 400, ErrorCode.invalidJobId, `ids[${index}] is not a job id (32 hex characters, or 8-4-4-4-12).`);
        only.add(id);
      }
    }
    const now = clock.now();
    const jobs: BatchJob[] = [];
    for (const row of store.batchJobs(batch.id)) {
      if (only && !only.has(row.id)) continue;
      const job = toBatchJob(row, ctx.retentionSeconds);
      if (status !== undefined && viewState(job, now) !== (status as ViewState)) continue;
      if (receipt !== undefined && !matchesReceipt(job, receipt as ReceiptFilter, now)) continue;
      if (q !== undefined && !matchesQuery(job, q)) continue;
      jobs.push(job);
    }

    const zip = new yazl.ZipFile();
    const abort = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) abort.abort(new Error('The browser went away.'));
    });
    writeOutputsZip(zip, jobs, { keeper, upstream: ctx.upstream, onExpired: (id) => store.markOutputExpired(id) }, now, abort.signal).then(
      ({ written }) => {
        // Receipts: "downloaded" once the whole archive reached the browser.
        reply.raw.once('finish', () => {
          const at = clock.now();
          for (const id of written) store.markDownloaded(id, at);
        });
      },
      (error: unknown) => {
        if (!abort.signal.aborted) request.log.warn({ err: error }, 'an outputs ZIP was cut short');
        (zip.outputStream as Readable).destroy();
        reply.raw.destroy();
      },
    );
    const fileName = `${batch.name}-outputs.zip`;
    return reply
      .header('content-security-policy', DOWNLOAD_CSP)
      .header('cache-control', 'no-store')
      .header('content-disposition', `attachment; filename="${asciiName(fileName)}"; filename*=UTF-8''${encodeURIComponent(fileName)}`)
      .type('application/zip')
      .send(zip.outputStream);
  });
}

function asciiName(name: string): string {
  return name.replace(/[^\x20-\x7e]|["\\]/g, '_');
}
