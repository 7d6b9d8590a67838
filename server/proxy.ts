/**
 * The pass-through proxy for the Convert API's six routes. It forwards an allow-list of headers each way,
 * adds the key (in upstream.ts), streams bodies both ways with backpressure, and answers everything else
 * under /convert locally so that nothing unexpected ever reaches the upstream.
 *
 * Kept lean on purpose (it is benchmarked against nginx): no body parsing, no per-request logging, small
 * JSON answers are collected and sent as one buffer, big bodies are piped.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import { PassThrough } from 'node:stream';
import { EventEmitter } from 'node:events';
import { ErrorCode, errorBody } from '../contract/errors.ts';
import { isValidJobId } from '../contract/job-id.ts';
import type { UpstreamClient, UpstreamRequest, UpstreamResponse } from './upstream.ts';
import { DOWNLOAD_CSP } from './security.ts';

export type JobAction = 'cancel' | 'delete' | 'download' | 'status';

export interface JobActionEvent {
  jobId: string;
  action: JobAction;
  statusCode: number;
  /** Parsed JSON body for `status` and `cancel` answers that had one. */
  body?: unknown;
}

export interface ProxyOptions {
  upstream: UpstreamClient;
  onJobAction?: (event: JobActionEvent) => void;
}

/** Answers up to this size are collected and sent in one write; larger ones stream. */
const SMALL_BODY = 64 * 1024;

const RESPONSE_HEADERS = ['content-type', 'content-length', 'content-disposition', 'retry-after'] as const;

const JOB_PATH = /^\/convert\/job\/([^/]+)$/;

interface Route {
  method: UpstreamRequest['method'];
  action: JobAction | 'submit' | 'conversions';
}

/**
 * Tells undici the browser went away. An EventEmitter (which undici accepts as a signal) rather than an
 * AbortController: EventTarget construction showed up in the hot path's profile.
 */
class ClientGone extends EventEmitter {
  aborted = false;
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.emit('abort');
  }
}

function sendLocal(reply: FastifyReply, status: number, code: string, detail: string): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send(errorBody(code, detail));
}

/** Request headers the upstream may see: content negotiation and body framing, nothing of the browser's. */
function forwardHeaders(headers: IncomingHttpHeaders, withBody: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof headers.accept === 'string') out.accept = headers.accept;
  if (withBody) {
    if (typeof headers['content-type'] === 'string') out['content-type'] = headers['content-type'];
    // undici frames a stream without a length as chunked itself (and refuses a transfer-encoding header).
    if (typeof headers['content-length'] === 'string') out['content-length'] = headers['content-length'];
  }
  return out;
}

function hasBody(headers: IncomingHttpHeaders): boolean {
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * A Location the browser may see: only our own `/convert/job/{id}`, made relative. Null for anything else
 * (another host, another path): such a redirect is refused, never followed.
 */
export function safeLocation(location: string, upstreamBase: string): string | null {
  let url: URL;
  try {
    url = new URL(location, upstreamBase + '/');
  } catch {
    return null;
  }
  const base = new URL(upstreamBase);
  if (url.origin !== base.origin) return null;
  const prefix = base.pathname.replace(/\/+$/, '');
  let path = url.pathname;
  if (prefix) {
    if (!path.startsWith(prefix + '/')) return null;
    path = path.slice(prefix.length);
  }
  const match = JOB_PATH.exec(path);
  if (!match || !isValidJobId(match[1]) || url.search || url.hash) return null;
  return path;
}

/** Forces `attachment` while keeping the file name parameters the upstream gave. */
export function attachmentDisposition(value: string | undefined): string {
  if (!value) return 'attachment';
  const semicolon = value.indexOf(';');
  return semicolon < 0 ? 'attachment' : 'attachment' + value.slice(semicolon);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** What is wrong with a path under /convert that matched no route: a bad id, a wrong method, or nothing. */
function classifyUnrouted(
  method: string,
  path: string,
): { status: number; code: string; detail: string; allow?: string[] } {
  const segments = path.split('/');
  // ['', 'convert', 'job', id, suffix?]
  if (segments[1] === 'convert' && segments[2] === 'job' && (segments.length === 4 || segments.length === 5)) {
    const suffix = segments[4];
    const allowed =
      suffix === undefined ? ['GET', 'DELETE'] : suffix === 'download' ? ['GET'] : suffix === 'cancel' ? ['POST'] : null;
    if (allowed) {
      if (!allowed.includes(method)) return methodNotAllowed(allowed);
      return { status: 400, code: ErrorCode.invalidJobId, detail: 'That is not a job id (32 hex characters).' };
    }
  }
  if (path === '/convert') return method === 'POST' ? notFound() : methodNotAllowed(['POST']);
  if (path === '/convert/conversions') return methodNotAllowed(['GET']);
  return notFound();
}

function methodNotAllowed(allowed: string[]): { status: number; code: string; detail: string; allow: string[] } {
  return { status: 405, code: ErrorCode.methodNotAllowed, detail: `Allowed: ${allowed.join(', ')}.`, allow: allowed };
}

function notFound() {
  return { status: 404, code: ErrorCode.notFound, detail: 'No such Convert API route.' };
}

async function collect(body: UpstreamResponse['body']): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}

function mapUpstreamError(error: unknown): { status: number; code: string; detail: string } {
  const code = (error as { code?: string } | null)?.code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return { status: 504, code: ErrorCode.upstreamTimeout, detail: 'The Convert API did not answer in time.' };
  }
  return { status: 502, code: ErrorCode.upstreamUnreachable, detail: 'The Convert API could not be reached.' };
}

export function registerProxy(app: FastifyInstance, options: ProxyOptions): void {
  const { upstream, onJobAction } = options;

  async function forward(
    request: FastifyRequest,
    reply: FastifyReply,
    route: Route,
    path: string,
    jobId: string | null,
  ): Promise<FastifyReply> {
    const withBody = route.action === 'submit' && hasBody(request.headers);
    const controller = new ClientGone();
    const res = reply.raw;
    // The response's `close` before it finished means the browser went away: stop the upstream request now.
    const onClose = () => {
      if (!res.writableFinished) controller.abort();
    };
    res.once('close', onClose);

    // undici destroys the body it was given when the upstream fails; a PassThrough of our own (piped, so
    // backpressure holds) keeps the browser's connection alive for the 502 instead of a reset.
    let body: PassThrough | null = null;
    if (withBody) {
      body = new PassThrough({ highWaterMark: 64 * 1024 });
      request.raw.pipe(body);
    }

    let answer: UpstreamResponse;
    try {
      answer = await upstream.request({
        method: route.method,
        path,
        headers: forwardHeaders(request.headers, withBody),
        body,
        signal: controller,
      });
    } catch (error) {
      if (controller.aborted || res.destroyed) return reply.hijack();
      const mapped = mapUpstreamError(error);
      request.log.warn({ err: error, upstreamCode: (error as { code?: string }).code }, 'upstream request failed');
      if (body) {
        request.raw.unpipe(body);
        // The rest of the upload is not wanted: close the connection after the answer instead of reading it.
        reply.header('connection', 'close');
      }
      return sendLocal(reply, mapped.status, mapped.code, mapped.detail);
    }

    const status = answer.statusCode;
    const headers = answer.headers;
    const location = headerValue(headers.location);
    const relativeLocation = location ? safeLocation(location, upstream.base) : null;
    if (status >= 300 && status < 400 && status !== 304 && !relativeLocation) {
      answer.body.dump().catch(() => {});
      return sendLocal(reply, 502, ErrorCode.upstreamRedirectRefused, 'The Convert API answered a redirect; not followed.');
    }

    reply.code(status);
    for (const name of RESPONSE_HEADERS) {
      const value = headerValue(headers[name]);
      if (value !== undefined) reply.header(name, value);
    }
    if (relativeLocation) reply.header('location', relativeLocation);
    reply.header('cache-control', 'no-store');
    if (route.action === 'download') {
      reply.header('content-security-policy', DOWNLOAD_CSP);
      if (status >= 200 && status < 300) {
        reply.header('content-disposition', attachmentDisposition(headerValue(headers['content-disposition'])));
      }
    }

    const length = Number(headerValue(headers['content-length']) ?? NaN);
    const small = route.action !== 'download' && length <= SMALL_BODY;
    let payload: Buffer | UpstreamResponse['body'] = answer.body;
    if (small) {
      try {
        payload = await collect(answer.body);
      } catch (error) {
        if (controller.aborted || res.destroyed) return reply.hijack();
        const mapped = mapUpstreamError(error);
        return sendLocal(reply, mapped.status, mapped.code, mapped.detail);
      }
    }

    if (onJobAction && jobId && route.action !== 'submit' && route.action !== 'conversions') {
      let body: unknown;
      if (Buffer.isBuffer(payload) && payload.length > 0 && /json/i.test(headerValue(headers['content-type']) ?? '')) {
        try {
          body = JSON.parse(payload.toString('utf8'));
        } catch {
          body = undefined;
        }
      }
      try {
        onJobAction({ jobId, action: route.action, statusCode: status, body });
      } catch (error) {
        request.log.error({ err: error }, 'onJobAction failed');
      }
    }
    return reply.send(payload);
  }

  function jobRoute(route: Route, suffix: string) {
    return (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
      const id = request.params.id;
      // Validated before any URL is built: only 32 hex or the hyphenated GUID form ever reaches a path.
      if (!isValidJobId(id)) {
        return sendLocal(reply, 400, ErrorCode.invalidJobId, 'That is not a job id (32 hex characters).');
      }
      return forward(request, reply, route, `/convert/job/${id}${suffix}`, id.replaceAll('-', '').toLowerCase());
    };
  }

  app.register(async (scope) => {
    // Bodies stay unread streams: POST /convert pipes request.raw upstream, the other routes have none.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));

    const routeOptions = { exposeHeadRoute: false } as const;
    scope.post('/convert', routeOptions, (request, reply) => {
      const query = request.query as Record<string, string | string[] | undefined>;
      const targetFormat = headerValue(query.targetFormat);
      const path = targetFormat === undefined ? '/convert' : `/convert?targetFormat=${encodeURIComponent(targetFormat)}`;
      return forward(request, reply, { method: 'POST', action: 'submit' }, path, null);
    });
    scope.get('/convert/conversions', routeOptions, (request, reply) =>
      forward(request, reply, { method: 'GET', action: 'conversions' }, '/convert/conversions', null),
    );
    scope.get('/convert/job/:id', routeOptions, jobRoute({ method: 'GET', action: 'status' }, ''));
    scope.get('/convert/job/:id/download', routeOptions, jobRoute({ method: 'GET', action: 'download' }, '/download'));
    scope.post('/convert/job/:id/cancel', routeOptions, jobRoute({ method: 'POST', action: 'cancel' }, '/cancel'));
    scope.delete('/convert/job/:id', routeOptions, jobRoute({ method: 'DELETE', action: 'delete' }, ''));

    const unrouted = (request: FastifyRequest, reply: FastifyReply) => {
      const path = request.url.split('?', 1)[0];
      const answer = classifyUnrouted(request.method, path);
      if (answer.allow) reply.header('allow', answer.allow.join(', '));
      return sendLocal(reply, answer.status, answer.code, answer.detail);
    };
    scope.route({ ...routeOptions, method: ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], url: '/convert', handler: unrouted });
    scope.all('/convert/*', routeOptions, unrouted);
  });
}
