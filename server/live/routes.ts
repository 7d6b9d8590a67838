/**
 * The live routes: a batch's event stream, a tab's report of what it shows, and the two live forms of the
 * snapshot route (`?since=` deltas, `?rows=ndjson` first load). Registered inside the batches plugin, so the
 * same security hook (Host, password, same-origin writes) runs before each, as for every /api route.
 */
import negotiate from '@fastify/accept-negotiator';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { constants, createGzip } from 'node:zlib';
import { ErrorCode } from '../../contract/errors.ts';
import { normalizeJobId } from '../../contract/job-id.ts';
import { MAX_VIEW_IDS, parseRevision } from '../../contract/live.ts';
import { sendError } from '../batches/context.ts';
import type { BatchRow, BatchStore } from '../batches/store.ts';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { BatchParams } from '../batches/validate.ts';
import type { LiveFeed } from './feed.ts';
import type { LiveHub } from './hub.ts';

export interface LiveContext {
  store: BatchStore;
  feed: LiveFeed;
  hub: LiveHub;
}

function gzipAccepted(request: FastifyRequest): boolean {
  const accept = request.headers['accept-encoding'];
  return typeof accept === 'string' && negotiate(accept, ['gzip']) === 'gzip';
}

const EventsQuery = Type.Object({ since: Type.Optional(Type.String()) });
const ViewBody = Type.Object(
  {
    tab: Type.String({ minLength: 1, maxLength: 64 }),
    ids: Type.Array(Type.Unknown(), { maxItems: MAX_VIEW_IDS, description: `At most ${MAX_VIEW_IDS} ids per view.` }),
  },
  { description: 'Expected a JSON object {"tab": "<tab id>", "ids": ["<job id>", …]}.' },
);

export function registerLiveRoutes(fastify: FastifyInstance, live: LiveContext): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { store, hub } = live;

  function batchOr404(batchId: string, reply: FastifyReply): BatchRow | undefined {
    const batch = store.getBatch(batchId);
    if (!batch) sendError(reply, 404, ErrorCode.batchNotFound, `No batch with id "${batchId.slice(0, 80)}".`);
    return batch;
  }

  app.get('/api/batches/:batchId/events', { schema: { params: BatchParams, querystring: EventsQuery } }, (request, reply) => {
    const batch = batchOr404(request.params.batchId, reply);
    if (!batch) return reply;
    // EventSource resends the last `id:` it saw on reconnection: that wins over the URL it first opened.
    const resumeFrom = request.headers['last-event-id'] ?? request.query.since;
    const since = resumeFrom === undefined ? 0 : parseRevision(resumeFrom);
    if (since === null) return sendError(reply, 400, ErrorCode.invalidBody, 'since (or Last-Event-ID) must be a batch revision, a whole number.');

    reply.hijack();
    const raw = reply.raw;
    const gzip = gzipAccepted(request);
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
      vary: 'accept-encoding',
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    });
    // One gzip context for the whole stream: each delta is compressed against the ones before it (rows of one
    // batch look alike), and a sync flush sends every event at once.
    const zip = gzip ? createGzip({ level: 6 }) : null;
    if (zip) zip.pipe(raw);
    const out = zip ?? raw;
    const sink = {
      write(text: string) {
        out.write(text);
        zip?.flush(constants.Z_SYNC_FLUSH);
      },
      backlog: () => raw.writableLength + (zip?.writableLength ?? 0),
    };
    sink.write('retry: 2000\n\n');
    const unsubscribe = hub.subscribe(batch.id, since, sink);
    raw.on('close', () => {
      unsubscribe();
      zip?.destroy();
    });
    return reply;
  });

  app.post('/api/batches/:batchId/view', { schema: { params: BatchParams, body: ViewBody } }, (request, reply) => {
    const batch = batchOr404(request.params.batchId, reply);
    if (!batch) return reply;
    const body = request.body;
    const ids: string[] = [];
    for (const raw of body.ids) {
      const id = typeof raw === 'string' ? normalizeJobId(raw) : null;
      if (id) ids.push(id);
    }
    hub.view(batch.id, body.tab, ids);
    return reply.code(204).send();
  });
}

/**
 * The snapshot route's live forms; null when the request asks for the plain snapshot. `?since=` answers only
 * what changed (or a reset); `?rows=ndjson` streams the compact first load, head line first.
 */
export function answerLiveSnapshot(
  live: LiveContext,
  request: FastifyRequest<{ Querystring: { since?: string; rows?: string } }>,
  reply: FastifyReply,
  batch: BatchRow,
): FastifyReply | null {
  const { since: sinceText, rows } = request.query;
  if (sinceText !== undefined) {
    const since = parseRevision(sinceText);
    if (since === null) return sendError(reply, 400, ErrorCode.invalidBody, 'since must be a batch revision, a whole number.');
    const text = live.feed.delta(batch.id, since)!;
    reply.header('cache-control', 'no-store');
    return reply.type('application/json; charset=utf-8').send(live.feed.deltaJson(batch.id, text));
  }
  if (rows === 'ndjson') {
    reply.header('cache-control', 'no-store');
    reply.header('vary', 'accept-encoding');
    reply.type('application/x-ndjson; charset=utf-8');
    const gzip = gzipAccepted(request);
    if (gzip) reply.header('content-encoding', 'gzip');
    const zip = gzip ? createGzip({ level: 6 }) : null;
    const out = zip ?? new PassThrough();
    void (async () => {
      let line = 0;
      for await (const text of live.feed.snapshotLines(batch)) {
        if (out.destroyed) return;
        // Backpressure: a slow link holds the reading of further pages, not the server's memory.
        if (!out.write(text)) await Promise.race([once(out, 'drain'), once(out, 'close')]);
        // The head and the first screenful of rows leave at once instead of waiting for gzip's buffer to fill.
        if (++line === 2) zip?.flush(constants.Z_SYNC_FLUSH);
      }
      out.end();
    })().catch((error: unknown) => out.destroy(error as Error));
    return reply.send(out);
  }
  return null;
}
