import { ErrorCode, isErrorBody, type ErrorBody } from '../../contract/errors.ts';

/**
 * Every failed request becomes an ApiError: non-2xx answers carry the `{error, detail}` envelope's code, and a
 * request that never got an answer is `status 0, code "network_error"`. fetch itself does not throw on 4xx/5xx,
 * so without this TanStack Query would treat an error page as data.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string | null;
  /** Seconds from `Retry-After`, when the server sent one (429, 503). */
  readonly retryAfterSeconds: number | null;
  readonly body: ErrorBody | null;

  constructor(status: number, code: string, detail: string | null, retryAfterSeconds: number | null = null, body: ErrorBody | null = null) {
    super(detail ? `${code}: ${detail}` : code);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.retryAfterSeconds = retryAfterSeconds;
    this.body = body;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);

function parseRetryAfter(value: string | null): number | null {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

export interface RequestOptions extends Omit<RequestInit, 'body'> {
  /** Serialised as JSON with the matching content type. */
  json?: unknown;
  body?: BodyInit;
  /** Treat `304 Not Modified` as a success (conditional GETs with `If-None-Match`). */
  allowNotModified?: boolean;
}

/** A same-origin request that throws ApiError on anything but 2xx (and 304 when asked for). */
export async function request(path: string, options: RequestOptions = {}): Promise<Response> {
  const { json, allowNotModified, ...init } = options;
  const method = (init.method ?? 'GET').toUpperCase();
  const headers = new Headers(init.headers);
  if (!headers.has('Accept')) headers.set('Accept', 'application/json');
  // The dashboard server refuses state-changing requests without a custom header (CSRF defence).
  if (!SAFE_METHODS.has(method)) headers.set('X-Requested-With', 'fetch');
  let body = init.body;
  if (json !== undefined) {
    headers.set('Content-Type', 'application/json');
    body = JSON.stringify(json);
  }
  let response: Response;
  try {
    response = await fetch(path, { ...init, method, headers, body, credentials: 'same-origin' });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, ErrorCode.networkError, 'The dashboard server could not be reached.');
  }
  if (response.ok || (allowNotModified && response.status === 304)) return response;
  let parsed: unknown;
  try {
    parsed = await response.json();
  } catch {
    parsed = null;
  }
  const retryAfter = parseRetryAfter(response.headers.get('Retry-After'));
  if (isErrorBody(parsed)) {
    throw new ApiError(response.status, parsed.error, parsed.detail ?? null, retryAfter, parsed);
  }
  throw new ApiError(response.status, `http_${response.status}`, response.statusText || null, retryAfter);
}

/** `request` + JSON body; `undefined` for 204. */
export async function requestJson<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await request(path, options);
  if (response.status === 204 || response.status === 202 && response.headers.get('Content-Length') === '0') {
    return undefined as T;
  }
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}
