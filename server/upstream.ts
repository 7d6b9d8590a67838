/**
 * The one place that holds the Convert API key: every request to the upstream (the proxy's, the tracker's,
 * the submissions') goes through a client made here, which adds `X-Fast-Api-Key` and nothing else secret.
 * Redirects are never followed (undici's Pool does not follow them), so the key only travels to `base`.
 */
import { Pool, type Dispatcher } from 'undici';
import type { Readable } from 'node:stream';
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
}

export interface UpstreamDispatch {
  method: UpstreamRequest['method'];
  path: string;
  /** Flat name/value pairs (already allow-listed by the caller); the key is appended here. */
  headers: string[];
  body?: Readable | null;
}

export type UpstreamResponse = Dispatcher.ResponseData;

export interface UpstreamClient {
  /** Origin of the upstream, e.g. `https://api.tools.fast` (no trailing slash, no key). */
  readonly origin: string;
  /** `origin` plus the base path, if any (e.g. `https://gateway.example/tools`); no key. */
  readonly base: string;
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
  /** The response body as text, redacted like `redact`. */
  text(res: UpstreamResponse): Promise<string>;
  close(): Promise<void>;
}

const REDACTED = '[redacted]';

export interface UpstreamClientOptions {
  base: string;
  apiKey: string;
  /** Keep-alive connections kept to the upstream. */
  connections?: number;
  /** Time to wait for response headers before giving up (the proxy maps it to 504). */
  headersTimeoutMs?: number;
  /** Time allowed between two body chunks. */
  bodyTimeoutMs?: number;
}

export function createUpstreamClient(options: UpstreamClientOptions): UpstreamClient {
  const url = new URL(options.base);
  const origin = url.origin;
  // A base with a path (`https://gateway.example/tools`) prefixes every API path.
  const prefix = url.pathname.replace(/\/+$/, '');
  const pool = new Pool(origin, {
    connections: options.connections ?? 64,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    headersTimeout: options.headersTimeoutMs ?? 60_000,
    bodyTimeout: options.bodyTimeoutMs ?? 300_000,
  });
  const apiKey = options.apiKey;
  const keyBytes = Buffer.from(apiKey);
  const redactText = (text: string) => text.replaceAll(apiKey, REDACTED);
  return {
    origin,
    base: origin + prefix,
    request(req) {
      return pool.request({
        method: req.method,
        path: prefix + req.path,
        headers: { ...req.headers, 'x-fast-api-key': apiKey },
        body: req.body ?? null,
        signal: req.signal,
      });
    },
    dispatch(req, handler) {
      req.headers.push('x-fast-api-key', apiKey);
      pool.dispatch({ method: req.method, path: prefix + req.path, headers: req.headers, body: req.body ?? null }, handler);
    },
    redact(body) {
      return body.includes(keyBytes) ? Buffer.from(redactText(body.toString('latin1')), 'latin1') : body;
    },
    async text(res) {
      return redactText(await res.body.text());
    },
    close: () => pool.close(),
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
