/**
 * The pass-through proxy for the Convert API's six routes. It forwards an allow-list of headers each way,
 * adds the key (in upstream.ts), streams bodies both ways with backpressure, and answers everything else
 * under /convert locally so that nothing unexpected ever reaches the upstream.
 *
 * Kept lean on purpose (it is benchmarked against nginx, and Fastify + request() + pipeline cost ~8× nginx's
 * CPU per request): app.ts hands plain `/convert…` URLs straight from the http server to `serve()`, which
 * routes by splitting the path, dispatches with undici's raw handler API and writes the answer with one
 * `writeHead` of a flat header array. Small answers are collected and sent in one write; big ones stream
 * with `res.write`, up to 512 KiB queued, and pause/resume backpressure beyond. Fastify only sees the rare
 * percent-encoded variants (`/%63onvert/…`), which reach the same `serve()`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { ErrorCode, errorBody } from '../contract/errors.ts';
import { isValidJobId } from '../contract/job-id.ts';
import { JobStatusResponseSchema, parseJson, parseUpstreamBody } from '../contract/upstream-body.ts';
import { upstreamFailure, type Redactor, type UpstreamClient, type UpstreamRequest } from './upstream.ts';
import type { RequestGuard } from './security.ts';

export type JobAction = 'cancel' | 'delete' | 'download' | 'status';

export interface JobActionEvent {
  jobId: string;
  action: JobAction;
  statusCode: number;
  /**
   * Parsed JSON body for `status` and `cancel` answers that had one (parsed when first read). A `200` status
   * body has been checked against the contract's schema already (a malformed one is answered 502, not reported).
   */
  readonly body?: unknown;
}

/** Where failures are logged (Fastify's logger, whose redaction settings apply). */
export interface ProxyLog {
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

/** This server's copies of outputs (server/outputs), served when the upstream's copy is gone. */
export interface KeptOutputs {
  keptFile(jobId: string): { bytes: number; contentType: string | null; disposition: string | null } | null;
  openKept(jobId: string): Promise<{ file: { bytes: number; contentType: string | null; disposition: string | null }; stream: Readable } | null>;
}

export interface ProxyOptions {
  upstream: UpstreamClient;
  kept?: KeptOutputs;
  guard: RequestGuard;
  log: ProxyLog;
  onJobAction?: (event: JobActionEvent) => void;
  /** The client an upload counts against (the same address Fastify's request.ip gives); default the peer. */
  clientAddress?: (req: IncomingMessage) => string | undefined;
}

export interface Proxy {
  /** Answers a request whose path is `/convert` or under `/convert/` (raw, percent-encoded or not). */
  serve(req: IncomingMessage, res: ServerResponse): void;
}

/** Answers up to this size are collected and sent in one write; larger ones stream. */
const SMALL_BODY = 64 * 1024;
/** How much of a streamed answer may wait in memory for the browser before the upstream is paused. */
const STREAM_BUFFER = 512 * 1024;

const JOB_PATH = /^\/convert\/job\/([^/]+)$/;

type Action = JobAction | 'submit' | 'conversions';

const JSON_TYPE = 'application/json; charset=utf-8';

/** A local JSON answer (`{error, detail}`) with the security headers. */
export function sendError(res: ServerResponse, base: readonly string[], status: number, code: string, detail: string, extra?: readonly string[]): void {
  const body = JSON.stringify(errorBody(code, detail));
  const headers = base.slice();
  if (extra) for (let i = 0; i < extra.length; i++) headers.push(extra[i]);
  headers.push('content-type', JSON_TYPE, 'content-length', String(Buffer.byteLength(body)));
  res.writeHead(status, headers);
  res.end(body);
}

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

export interface AnswerHeaders {
  contentType?: string;
  contentLength?: string;
  disposition?: string;
  retryAfter?: string;
  location?: string | null;
}

/**
 * The headers of an answer to the browser: the security base (`downloadHeaders` for downloads), then the
 * allow-listed upstream headers. A successful download is always an attachment. Kept copies (server/outputs)
 * are answered through this too, so that they carry exactly the proxy's download headers.
 */
export function answerHeaders(base: readonly string[], status: number, download: boolean, h: AnswerHeaders): string[] {
  const headers = base.slice();
  if (h.contentType !== undefined) headers.push('content-type', h.contentType);
  if (h.contentLength !== undefined) headers.push('content-length', h.contentLength);
  if (download && status >= 200 && status < 300) headers.push('content-disposition', attachmentDisposition(h.disposition));
  else if (h.disposition !== undefined) headers.push('content-disposition', h.disposition);
  if (h.retryAfter !== undefined) headers.push('retry-after', h.retryAfter);
  if (h.location) headers.push('location', h.location);
  headers.push('cache-control', 'no-store');
  return headers;
}

/**
 * Sends a kept copy as the proxy's download route would send the upstream's. Resolves false (nothing sent) when
 * there is no complete copy to send.
 */
export async function sendKeptOutput(res: ServerResponse, base: readonly string[], kept: KeptOutputs, jobId: string): Promise<boolean> {
  const opened = await kept.openKept(jobId);
  if (!opened) return false;
  if (res.destroyed) {
    opened.stream.destroy();
    return true;
  }
  const { file, stream } = opened;
  res.writeHead(
    200,
    answerHeaders(base, 200, true, {
      contentType: file.contentType ?? 'application/octet-stream',
      contentLength: String(file.bytes),
      disposition: file.disposition ?? undefined,
    }),
  );
  res.once('close', () => stream.destroy());
  stream.once('error', () => res.destroy());
  stream.pipe(res);
  return true;
}

function methodNotAllowed(allowed: string[]): { status: number; code: string; detail: string; allow: string[] } {
  return { status: 405, code: ErrorCode.methodNotAllowed, detail: `Allowed: ${allowed.join(', ')}.`, allow: allowed };
}

function notFound() {
  return { status: 404, code: ErrorCode.notFound, detail: 'No such Convert API route.' };
}

/** Splits a raw path into decoded segments; null when a segment is not valid percent-encoding. */
function segmentsOf(path: string): string[] | null {
  const segments = path.split('/');
  if (path.includes('%')) {
    for (let i = 0; i < segments.length; i++) {
      try {
        segments[i] = decodeURIComponent(segments[i]);
      } catch {
        return null;
      }
    }
  }
  return segments;
}

const SUBMIT: Route = { method: 'POST', action: 'submit' };

interface Route {
  method: UpstreamRequest['method'];
  action: Action;
}

const CONVERSIONS: Route = { method: 'GET', action: 'conversions' };
const STATUS: Route = { method: 'GET', action: 'status' };
const DELETE: Route = { method: 'DELETE', action: 'delete' };
const DOWNLOAD: Route = { method: 'GET', action: 'download' };
const CANCEL: Route = { method: 'POST', action: 'cancel' };

/** The only names taken from the upstream's answer (plus Location, checked separately). */
function isNameLength(length: number): boolean {
  // location 8, retry-after 11, content-type 12, content-length 14, content-disposition 19
  return length === 8 || length === 11 || length === 12 || length === 14 || length === 19;
}

class ClientGoneError extends Error {
  constructor() {
    super('The browser went away.');
    this.name = 'ClientGoneError';
  }
}

/**
 * How an answer's body travels:
 * - `raw`: a successful download, the only body passed on unchanged (with its Content-Length);
 * - `collect`: a small body with a length, and every `200` status body, read whole, redacted (Content-Length
 *   recomputed) and, for a status, checked against the contract before anything is sent;
 * - `redact`: any other body (chunked, or over SMALL_BODY) streamed through the key redactor. Its
 *   Content-Length is dropped: the redacted length is only known at the end, and a length that does not
 *   match the body would make the browser cut it or wait for ever. Such bodies are error or JSON answers,
 *   for which a progress bar does not matter; chunked framing says where they end.
 */
type BodyMode = 'raw' | 'collect' | 'redact';

/**
 * One proxied request: undici's dispatch handler (legacy callback API, which undici runs without a wrapper)
 * that writes the upstream's answer straight into the browser's response.
 */
class Exchange implements Dispatcher.DispatchHandler {
  private abortUpstream: ((error?: Error) => void) | null = null;
  private resumeUpstream: (() => void) | null = null;
  private clientGone = false;
  /** A local answer was sent instead of the upstream's: the rest of the upstream's is dropped. */
  private discard = false;
  private status = 0;
  private mode: BodyMode = 'raw';
  private pending: string[] | null = null;
  private chunks: Buffer[] | null = null;
  private collected = 0;
  private redactor: Redactor | null = null;
  private contentType: string | undefined;
  private onDrain: (() => void) | null = null;

  constructor(
    private readonly ctx: ProxyOptions,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly action: Action,
    private readonly jobId: string | null,
    private readonly upload: PassThrough | null,
  ) {
    // The response's `close` before it finished means the browser went away: stop the upstream request now.
    res.once('close', () => {
      if (res.writableFinished) return;
      this.clientGone = true;
      this.abortUpstream?.(new ClientGoneError());
    });
  }

  private get baseHeaders(): readonly string[] {
    return this.action === 'download' ? this.ctx.guard.downloadHeaders : this.ctx.guard.responseHeaders;
  }

  /** The browser stopped sending its upload: answer 408 (unless the upstream has answered) and drop the request. */
  uploadStalled(): void {
    if (this.clientGone || this.discard || this.status !== 0 || this.res.headersSent) return;
    if (this.upload) this.req.unpipe(this.upload);
    const answer = this.ctx.upstream.uploads.stalled;
    sendError(this.res, this.baseHeaders, answer.status, answer.code, answer.detail, answer.headers);
    this.discard = true;
    this.abortUpstream?.(new ClientGoneError());
  }

  onConnect(abort: (error?: Error) => void): void {
    this.abortUpstream = abort;
    if (this.clientGone || this.discard) abort(new ClientGoneError());
  }

  onHeaders(status: number, raw: Buffer[], resume: () => void): boolean {
    this.resumeUpstream = resume;
    if (this.clientGone || this.discard) return false;
    let contentType: string | undefined;
    let contentLength: string | undefined;
    let disposition: string | undefined;
    let retryAfter: string | undefined;
    let location: string | undefined;
    // Only the allow-listed names are read (the first of each); latin1 passes header bytes through as is.
    for (let i = 0; i < raw.length; i += 2) {
      if (!isNameLength(raw[i].length)) continue;
      switch (raw[i].toString('latin1').toLowerCase()) {
        case 'content-type':
          contentType ??= raw[i + 1].toString('latin1');
          break;
        case 'content-length':
          contentLength ??= raw[i + 1].toString('latin1');
          break;
        case 'content-disposition':
          disposition ??= raw[i + 1].toString('latin1');
          break;
        case 'retry-after':
          retryAfter ??= raw[i + 1].toString('latin1');
          break;
        case 'location':
          location ??= raw[i + 1].toString('latin1');
          break;
      }
    }
    const relativeLocation = location ? safeLocation(location, this.ctx.upstream.base) : null;
    const download = this.action === 'download';
    const base = this.baseHeaders;
    if (status >= 300 && status < 400 && status !== 304 && !relativeLocation) {
      // Read and drop the redirect's body so the upstream connection stays reusable.
      this.discard = true;
      sendError(this.res, base, 502, ErrorCode.upstreamRedirectRefused, 'The Convert API answered a redirect; not followed.');
      return true;
    }

    // The upstream deleted the output (410), forgot the job (404) or answered an error: a kept copy, when this
    // server has one, is what the operator wanted. The Download link keeps one URL whatever the source; while the
    // upstream still has the output, it is the source, and the receipt ("downloaded") is recorded the same way.
    if (download && (status === 410 || status === 404 || status >= 500) && this.serveKept(status)) return true;
    const success = status >= 200 && status < 300;
    this.mode =
      download && success
        ? 'raw'
        : (this.action === 'status' && status === 200) || (contentLength !== undefined && Number(contentLength) <= SMALL_BODY)
          ? 'collect'
          : 'redact';
    // A redacted stream's length is known only at its end: it goes out without one.
    const headers = answerHeaders(base, status, download, {
      contentType,
      contentLength: this.mode === 'redact' ? undefined : contentLength,
      disposition,
      retryAfter,
      location: relativeLocation,
    });
    this.status = status;

    if (this.mode === 'collect') {
      this.pending = headers;
      this.chunks = [];
      this.contentType = contentType;
      return true;
    }
    if (this.mode === 'redact') this.redactor = this.ctx.upstream.redactor();
    this.res.writeHead(status, headers);
    this.report(undefined);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.discard) return true;
    if (this.chunks) {
      this.collected += chunk.length;
      // Only a status answer gets here without a length: one that big is not a status, whatever it is.
      if (this.collected > SMALL_BODY) {
        this.chunks = null;
        this.badResponse('The Convert API answered a job status over 64 KiB.');
        return true;
      }
      this.chunks.push(chunk);
      return true;
    }
    const res = this.res;
    res.write(this.redactor ? this.redactor.push(chunk) : chunk);
    // The socket asks to wait past 16 KiB, i.e. after every upstream chunk; pausing the upstream each time costs
    // a round trip per 64 KiB. Up to STREAM_BUFFER is queued instead (bounded memory per download).
    if (res.writableLength < STREAM_BUFFER) return true;
    this.onDrain ??= () => this.resumeUpstream?.();
    res.once('drain', this.onDrain);
    return false;
  }

  onComplete(): void {
    if (this.discard || this.clientGone) return;
    const chunks = this.chunks;
    if (chunks && this.pending) {
      const raw = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      const body = this.ctx.upstream.redact(raw);
      let parsed: { value: unknown } | undefined;
      if (this.action === 'status' && this.status === 200) {
        const status = parseUpstreamBody(JobStatusResponseSchema, body);
        if (!status.ok) return this.badResponse(status.reason);
        parsed = { value: status.value };
      }
      if (body !== raw) {
        const at = this.pending.indexOf('content-length');
        if (at >= 0) this.pending[at + 1] = String(body.length);
      }
      if (this.pending.indexOf('content-length') < 0) this.pending.push('content-length', String(body.length));
      this.res.writeHead(this.status, this.pending);
      this.res.end(body);
      // After the answer is on its way: the batch store's work does not delay the browser.
      this.report(body, parsed);
      return;
    }
    this.res.end(this.redactor?.end());
  }

  onError(error: Error): void {
    const res = this.res;
    if (this.clientGone || this.discard || res.destroyed) return;
    if (this.action === 'download' && !res.headersSent && this.serveKept(0)) return;
    if (res.headersSent) {
      // Mid-stream: the status is out already; cutting the connection tells the browser the body is short.
      res.destroy(error);
      return;
    }
    const mapped = upstreamFailure(error);
    this.ctx.log.warn({ err: error, upstreamCode: (error as { code?: string }).code }, 'upstream request failed');
    let extra: string[] | undefined;
    if (this.upload) {
      this.req.unpipe(this.upload);
      // The rest of the upload is not wanted: close the connection after the answer instead of reading it.
      extra = ['connection', 'close'];
    }
    sendError(res, this.baseHeaders, mapped.status, mapped.code, mapped.detail, extra);
  }

  /** The upstream's answer is not what the contract says: a 502 of our own, and the rest of it is dropped. */
  private badResponse(reason: string): void {
    this.discard = true;
    this.ctx.log.warn({ action: this.action, upstreamStatus: this.status }, 'upstream answered a malformed body');
    sendError(this.res, this.baseHeaders, 502, ErrorCode.upstreamBadResponse, reason);
  }

  /**
   * Answers with this server's kept copy instead of the upstream's answer (read and dropped). False when there is
   * no complete copy on record. `upstreamStatus` is what the upstream said (0: no answer), reported first.
   */
  private serveKept(upstreamStatus: number): boolean {
    const kept = this.ctx.kept;
    const jobId = this.jobId;
    if (!kept || !jobId || !kept.keptFile(jobId)) return false;
    this.discard = true;
    if (upstreamStatus !== 0) {
      this.status = upstreamStatus;
      this.report(undefined);
    }
    const res = this.res;
    sendKeptOutput(res, this.ctx.guard.downloadHeaders, kept, jobId).then(
      (sent) => {
        if (!sent) {
          sendError(res, this.ctx.guard.downloadHeaders, 410, ErrorCode.jobsExpired, 'The output expired and no copy was kept.');
          return;
        }
        res.once('finish', () => {
          this.status = 200;
          this.report(undefined);
        });
      },
      (error: unknown) => {
        this.ctx.log.error({ err: error }, 'serving a kept output failed');
        if (!res.headersSent) sendError(res, this.ctx.guard.downloadHeaders, 500, 'internal', 'Internal server error.');
        else res.destroy();
      },
    );
    return true;
  }

  /** Tells the batch store what the upstream said about a job (status and cancel with their JSON body). */
  private report(raw: Buffer | undefined, checked?: { value: unknown }): void {
    const onJobAction = this.ctx.onJobAction;
    const action = this.action;
    if (!onJobAction || !this.jobId || action === 'submit' || action === 'conversions') return;
    const contentType = this.contentType;
    let parsed = checked;
    // Parsed only if the listener reads it: most status GETs are for jobs no batch lists, and the
    // listener decides that before it looks at the body.
    const event: JobActionEvent = {
      jobId: this.jobId,
      action,
      statusCode: this.status,
      get body() {
        parsed ??= { value: parseJsonBody(raw, contentType) };
        return parsed.value;
      },
    };
    try {
      onJobAction(event);
    } catch (error) {
      this.ctx.log.error({ err: error }, 'onJobAction failed');
    }
  }
}

function parseJsonBody(raw: Buffer | undefined, contentType: string | undefined): unknown {
  if (raw === undefined || raw.length === 0 || contentType === undefined || !/json/i.test(contentType)) return undefined;
  return parseJson(raw.toString('utf8'));
}

export function createProxy(options: ProxyOptions): Proxy {
  const { upstream, guard } = options;
  const clientAddress = options.clientAddress ?? ((req: IncomingMessage) => req.socket.remoteAddress);

  function local(res: ServerResponse, answer: { status: number; code: string; detail: string; allow?: string[] }): void {
    sendError(res, guard.responseHeaders, answer.status, answer.code, answer.detail, answer.allow ? ['allow', answer.allow.join(', ')] : undefined);
  }

  function forward(req: IncomingMessage, res: ServerResponse, route: Route, path: string, jobId: string | null): void {
    const headers: string[] = [];
    const h = req.headers;
    if (typeof h.accept === 'string') headers.push('accept', h.accept);
    let upload: PassThrough | null = null;
    if (route.action === 'submit') {
      // Each client gets a few uploads at once: more would only queue for the uploads' connections.
      const release = upstream.uploads.begin(clientAddress(req) ?? '');
      if (!release) {
        const answer = upstream.uploads.busy;
        return sendError(res, guard.responseHeaders, answer.status, answer.code, answer.detail, answer.headers);
      }
      res.once('close', release);
    }
    if (route.action === 'submit' && (h['transfer-encoding'] !== undefined || (h['content-length'] !== undefined && h['content-length'] !== '0'))) {
      if (typeof h['content-type'] === 'string') headers.push('content-type', h['content-type']);
      // undici frames a stream without a length as chunked itself (and refuses a transfer-encoding header).
      if (typeof h['content-length'] === 'string') headers.push('content-length', h['content-length']);
      // undici destroys the body it was given when the upstream fails; a PassThrough of our own (piped, so
      // backpressure holds) keeps the browser's connection alive for the 502 instead of a reset.
      upload = new PassThrough({ highWaterMark: 64 * 1024 });
      req.pipe(upload);
    }
    const exchange = new Exchange(options, req, res, route.action, jobId, upload);
    if (upload) {
      const stopWatching = upstream.uploads.watch(req, upload, () => exchange.uploadStalled());
      res.once('close', stopWatching);
    }
    upstream.dispatch({ method: route.method, path, headers, body: upload, upload: route.action === 'submit' }, exchange);
  }

  function serve(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const method = req.method ?? 'GET';
    const q = url.indexOf('?');
    const rawPath = q < 0 ? url : url.slice(0, q);
    const segments = segmentsOf(rawPath);
    // ['', 'convert', …]
    if (!segments || segments[0] !== '' || segments[1] !== 'convert') return local(res, notFound());
    const n = segments.length;
    if (n === 2) {
      if (method !== 'POST') return local(res, methodNotAllowed(['POST']));
      const targetFormat = q < 0 ? null : new URLSearchParams(url.slice(q + 1)).get('targetFormat');
      const path = targetFormat === null ? '/convert' : `/convert?targetFormat=${encodeURIComponent(targetFormat)}`;
      return forward(req, res, SUBMIT, path, null);
    }
    if (n === 3 && segments[2] === 'conversions') {
      if (method !== 'GET') return local(res, methodNotAllowed(['GET']));
      return forward(req, res, CONVERSIONS, '/convert/conversions', null);
    }
    if (segments[2] === 'job' && (n === 4 || n === 5)) {
      const suffix = n === 5 ? segments[4] : undefined;
      let route: Route | undefined;
      if (suffix === undefined) route = method === 'GET' ? STATUS : method === 'DELETE' ? DELETE : undefined;
      else if (suffix === 'download') route = method === 'GET' ? DOWNLOAD : undefined;
      else if (suffix === 'cancel') route = method === 'POST' ? CANCEL : undefined;
      else return local(res, notFound());
      if (!route) return local(res, methodNotAllowed(suffix === undefined ? ['GET', 'DELETE'] : suffix === 'download' ? ['GET'] : ['POST']));
      const id = segments[3];
      // Validated before any URL is built: only 32 hex or the hyphenated GUID form ever reaches a path.
      if (!isValidJobId(id)) return local(res, { status: 400, code: ErrorCode.invalidJobId, detail: 'That is not a job id (32 hex characters).' });
      const path = suffix === undefined ? `/convert/job/${id}` : `/convert/job/${id}/${suffix}`;
      return forward(req, res, route, path, id.replaceAll('-', '').toLowerCase());
    }
    return local(res, notFound());
  }

  return { serve };
}
