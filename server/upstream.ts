/**
 * The one place that holds the Convert API key: every request to the upstream (the proxy's, the tracker's,
 * the submissions') goes through a client made here, which adds `X-Fast-Api-Key` and nothing else secret.
 * Redirects are never followed (undici's Pool does not follow them), so the key only travels to `base`.
 *
 * Two connection pools: uploads (`POST /convert`, from the proxy and from the batch submit route) have their
 * own, so uploads that stall or crawl can hold at most that pool, and the status, download, cancel and delete
 * routes and the tracker always find a connection. The upload limits (body-idle time, uploads per client)
 * live here with that pool, so both upload paths apply the same ones.
 *
 * Every answer's body is watched: a body that stops, or dribbles (less than `MIN_PROGRESS_BYTES` per idle
 * window, e.g. one byte a second), is cut off with `UND_ERR_BODY_TIMEOUT` after `bodyIdleMs`.
 */
import { Pool, errors, type Dispatcher } from 'undici';
import type { IncomingMessage } from 'node:http';
import type { Readable, Writable } from 'node:stream';
import type { EventEmitter } from 'node:events';
import { ErrorCode } from '../contract/errors.ts';

export interface UpstreamRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'DELETE';
  /** Path and query, starting with `/convert` (ids already validated by the caller). */
  path: string;
  /** Headers to forward (already allow-listed by the caller); the key is added here. */
  headers?: Record<string, string>;
  body?: Readable | Buffer | string | null;
  /** An AbortSignal, or an EventEmitter that emits `abort` (undici accepts both). */
  signal?: AbortSignal | EventEmitter;
  /** A file upload (`POST /convert`): sent over the uploads' own pool. */
  upload?: boolean;
}

export interface UpstreamDispatch {
  method: UpstreamRequest['method'];
  path: string;
  /** Flat name/value pairs (already allow-listed by the caller); the key is appended here. */
  headers: string[];
  body?: Readable | null;
  /** A file upload (`POST /convert`): sent over the uploads' own pool. */
  upload?: boolean;
}

export type UpstreamResponse = Dispatcher.ResponseData;

/** Streams the key out of a body: chunks in, redacted chunks out, across chunk boundaries. */
export interface Redactor {
  /** The redacted bytes that are certain so far (up to key length − 1 bytes are held back). */
  push(chunk: Buffer): Buffer;
  /** The bytes held back, at the end of the body. */
  end(): Buffer;
}

export interface LocalAnswer {
  status: number;
  code: string;
  detail: string;
  /** Flat name/value pairs to add to the answer. */
  headers: string[];
}

export interface UploadLimits {
  /** An upload body that sends less than MIN_PROGRESS_BYTES in this time is answered `408`. */
  readonly idleMs: number;
  /** The answer when a client has too many uploads running (the rest of its body is not read). */
  readonly busy: LocalAnswer;
  /** The answer when an upload body stalled (the rest of it is not read). */
  readonly stalled: LocalAnswer;
  /** Counts one upload of `client`; null when it has `perClient` uploads running already (answer `429`). */
  begin(client: string): (() => void) | null;
  /**
   * Watches an incoming upload body piped into `sink`: `onIdle` when the browser stalls (not when the sink is
   * full, i.e. the upstream is the one not reading). Returns a function that stops watching.
   */
  watch(req: IncomingMessage, sink: Writable, onIdle: () => void): () => void;
}

export interface UpstreamClient {
  /** Origin of the upstream, e.g. `https://api.tools.fast` (no trailing slash, no key). */
  readonly origin: string;
  /** `origin` plus the base path, if any (e.g. `https://gateway.example/tools`); no key. */
  readonly base: string;
  /** The limits both upload paths apply (the proxy's `POST /convert` and the batch submit route). */
  readonly uploads: UploadLimits;
  request(req: UpstreamRequest): Promise<UpstreamResponse>;
  /**
   * The proxy's hot path: undici's raw dispatch with a handler that writes straight to the browser's
   * response (no Readable body, no promise, no signal). `headers` are flat name/value pairs, allow-listed.
   */
  dispatch(req: UpstreamDispatch, handler: Dispatcher.DispatchHandler): void;
  /**
   * A body with every copy of the key replaced by `[redacted]` (the same buffer when there is none). An upstream
   * that echoes the key in an error detail must not hand it to the browser or the batch store.
   */
  redact(body: Buffer): Buffer;
  /** A streaming `redact`, for bodies passed on as they arrive. */
  redactor(): Redactor;
  /** The response body as text, redacted like `redact`. */
  text(res: UpstreamResponse): Promise<string>;
  close(): Promise<void>;
}

const REDACTED = Buffer.from('[redacted]');

/**
 * "Progress" for the body-idle rules: a window of the idle time must bring at least this much (or the end of the
 * body). A pure idle timer is defeated by one byte a second; this is far below any real link's rate.
 */
export const MIN_PROGRESS_BYTES = 1024;

export const DEFAULT_UPSTREAM_IDLE_MS = 30_000;
export const DEFAULT_UPLOAD_IDLE_MS = 10_000;
export const DEFAULT_UPLOADS_PER_CLIENT = 8;

export interface UpstreamClientOptions {
  base: string;
  apiKey: string;
  /** Keep-alive connections kept to the upstream for everything but uploads. */
  connections?: number;
  /** Connections for uploads (`POST /convert`). */
  uploadConnections?: number;
  /** Time to wait for response headers before giving up (the proxy maps it to 504). */
  headersTimeoutMs?: number;
  /** An answer's body that brings less than MIN_PROGRESS_BYTES in this time is cut off (UPSTREAM_IDLE_SECONDS). */
  bodyIdleMs?: number;
  /** An upload body that stalls this long is answered `408` (UPLOAD_IDLE_SECONDS). */
  uploadIdleMs?: number;
  /** Uploads one client may have running at once (UPLOADS_PER_CLIENT). */
  uploadsPerClient?: number;
}

export function createRedactor(key: Buffer): Redactor {
  const hold = key.length - 1;
  let carry: Buffer | null = null;
  return {
    push(chunk) {
      const data = carry ? Buffer.concat([carry, chunk]) : chunk;
      let from = 0;
      let parts: Buffer[] | null = null;
      for (let at = data.indexOf(key); at >= 0; at = data.indexOf(key, from)) {
        (parts ??= []).push(data.subarray(from, at), REDACTED);
        from = at + key.length;
      }
      // The tail that could be the start of a key split across chunks waits for the next chunk.
      const keep = Math.max(from, data.length - hold);
      carry = keep < data.length ? Buffer.from(data.subarray(keep)) : null;
      if (!parts) return from === 0 && keep === data.length ? data : data.subarray(from, keep);
      parts.push(data.subarray(from, keep));
      return Buffer.concat(parts);
    },
    end() {
      const rest = carry ?? Buffer.alloc(0);
      carry = null;
      return rest;
    },
  };
}

/**
 * Wraps a dispatch handler (undici's legacy callback API, which the proxy and `request()` both use) with the
 * body-idle rule. A window in which the consumer paused the body (a slow browser) does not count.
 */
class BodyWatch implements Dispatcher.DispatchHandler {
  private abort: ((error?: Error) => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private bytes = 0;
  private paused = false;

  constructor(
    private readonly inner: Dispatcher.DispatchHandler,
    private readonly idleMs: number,
  ) {}

  onConnect(abort: (error?: Error) => void): void {
    this.abort = abort;
    this.inner.onConnect?.(abort);
  }

  onHeaders(status: number, headers: Buffer[], resume: () => void, statusText: string): boolean {
    this.timer = setTimeout(this.check, this.idleMs);
    const ok = this.inner.onHeaders?.(status, headers, this.resumed(resume), statusText) ?? true;
    if (ok === false) this.paused = true;
    return ok;
  }

  onData(chunk: Buffer): boolean {
    this.bytes += chunk.length;
    const ok = this.inner.onData?.(chunk) ?? true;
    if (ok === false) this.paused = true;
    return ok;
  }

  onComplete(trailers: string[] | null): void {
    this.stop();
    this.inner.onComplete?.(trailers);
  }

  onError(error: Error): void {
    this.stop();
    this.inner.onError?.(error);
  }

  onUpgrade(status: number, headers: Buffer[] | string[] | null, socket: import('node:stream').Duplex): void {
    this.stop();
    this.inner.onUpgrade?.(status, headers, socket);
  }

  onResponseStarted(): void {
    this.inner.onResponseStarted?.();
  }

  private resumed(resume: () => void): () => void {
    return () => {
      this.paused = false;
      this.bytes = MIN_PROGRESS_BYTES;
      resume();
    };
  }

  private readonly check = (): void => {
    if (this.paused || this.bytes >= MIN_PROGRESS_BYTES) {
      this.bytes = 0;
      this.timer?.refresh();
      return;
    }
    this.timer = null;
    this.abort?.(new errors.BodyTimeoutError(`The Convert API's answer stalled (less than ${MIN_PROGRESS_BYTES} bytes in ${this.idleMs} ms).`));
  };

  private stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

function watchedPool(origin: string, connections: number, headersTimeout: number, bodyIdleMs: number): { pool: Pool; dispatcher: Dispatcher } {
  const pool = new Pool(origin, {
    connections,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    headersTimeout,
    // undici's own timer is the pure-idle backstop; BodyWatch applies the stricter rule.
    bodyTimeout: bodyIdleMs * 2,
  });
  const dispatcher = pool.compose((dispatch) => (opts, handler) => dispatch(opts, new BodyWatch(handler, bodyIdleMs)));
  return { pool, dispatcher };
}

export function createUploadLimits(idleMs: number, perClient: number): UploadLimits {
  const running = new Map<string, number>();
  return {
    idleMs,
    busy: {
      status: 429,
      code: ErrorCode.tooManyUploads,
      detail: `This client already has ${perClient} uploads running; wait for one to finish.`,
      headers: ['retry-after', '5', 'connection', 'close'],
    },
    stalled: {
      status: 408,
      code: ErrorCode.uploadStalled,
      detail: `The upload stopped arriving (less than ${MIN_PROGRESS_BYTES} bytes in ${Math.ceil(idleMs / 1000)} s).`,
      headers: ['connection', 'close'],
    },
    begin(client) {
      const n = running.get(client) ?? 0;
      if (n >= perClient) return null;
      running.set(client, n + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (running.get(client) ?? 1) - 1;
        if (left <= 0) running.delete(client);
        else running.set(client, left);
      };
    },
    watch(req, sink, onIdle) {
      let bytes = 0;
      const onData = (chunk: Buffer) => (bytes += chunk.length);
      const timer = setTimeout(function check() {
        // A full sink means the upstream is not reading yet (queued for a connection, or slow): not the browser's fault.
        if (bytes >= MIN_PROGRESS_BYTES || sink.writableNeedDrain) {
          bytes = 0;
          timer.refresh();
          return;
        }
        stop();
        onIdle();
      }, idleMs);
      const stop = () => {
        clearTimeout(timer);
        req.off('data', onData);
        req.off('end', stop);
        req.off('close', stop);
      };
      req.on('data', onData);
      req.once('end', stop);
      req.once('close', stop);
      return stop;
    },
  };
}

export function createUpstreamClient(options: UpstreamClientOptions): UpstreamClient {
  const url = new URL(options.base);
  const origin = url.origin;
  // A base with a path (`https://gateway.example/tools`) prefixes every API path.
  const prefix = url.pathname.replace(/\/+$/, '');
  const headersTimeout = options.headersTimeoutMs ?? 60_000;
  const bodyIdleMs = options.bodyIdleMs ?? DEFAULT_UPSTREAM_IDLE_MS;
  const main = watchedPool(origin, options.connections ?? 64, headersTimeout, bodyIdleMs);
  const uploads = watchedPool(origin, options.uploadConnections ?? 32, headersTimeout, bodyIdleMs);
  const apiKey = options.apiKey;
  const keyBytes = Buffer.from(apiKey);
  const redact = (body: Buffer): Buffer => {
    if (!body.includes(keyBytes)) return body;
    const r = createRedactor(keyBytes);
    const head = r.push(body);
    return Buffer.concat([head, r.end()]);
  };
  return {
    origin,
    base: origin + prefix,
    uploads: createUploadLimits(options.uploadIdleMs ?? DEFAULT_UPLOAD_IDLE_MS, options.uploadsPerClient ?? DEFAULT_UPLOADS_PER_CLIENT),
    request(req) {
      return (req.upload ? uploads : main).dispatcher.request({
        method: req.method,
        path: prefix + req.path,
        headers: { ...req.headers, 'x-fast-api-key': apiKey },
        body: req.body ?? null,
        signal: req.signal,
      });
    },
    dispatch(req, handler) {
      req.headers.push('x-fast-api-key', apiKey);
      (req.upload ? uploads : main).dispatcher.dispatch({ method: req.method, path: prefix + req.path, headers: req.headers, body: req.body ?? null }, handler);
    },
    redact,
    redactor: () => createRedactor(keyBytes),
    async text(res) {
      return redact(Buffer.from(await res.body.arrayBuffer())).toString('utf8');
    },
    close: async () => {
      await Promise.all([main.pool.close(), uploads.pool.close()]);
    },
  };
}

/**
 * A request to the upstream that got no answer, as the dashboard reports it: 504 when it waited too long,
 * 502 when it could not connect. One mapping for every route that forwards to the upstream.
 */
export function upstreamFailure(error: unknown): { status: 504 | 502; code: string; detail: string } {
  const code = (error as { code?: string } | null)?.code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return { status: 504, code: ErrorCode.upstreamTimeout, detail: 'The Convert API did not answer in time.' };
  }
  return { status: 502, code: ErrorCode.upstreamUnreachable, detail: 'The Convert API could not be reached.' };
}
