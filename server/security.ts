/**
 * Request checks and response headers that every route shares (DESIGN.md, "Security rules that shape the
 * code"): the Host allow-list (DNS rebinding), same-origin + custom header for writes (CSRF), optional HTTP
 * Basic auth with a per-IP slow-down, and the security headers. One onRequest hook runs them all, cheaply,
 * because it sits on the proxy's hot path.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { ErrorCode, errorBody } from '../contract/errors.ts';

/** The app's HTML policy: no inline script, nothing from other origins. */
export const APP_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/**
 * Vite's dev server injects a react-refresh preamble and its CSS as inline elements; a per-process nonce
 * (passed to Vite as `html.cspNonce`) lets those through without `unsafe-inline`.
 */
export function devCsp(nonce: string): string {
  return APP_CSP.replace("script-src 'self'", `script-src 'self' 'nonce-${nonce}'`).replace(
    "style-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
  );
}

/** Downloads may be anything (HTML, SVG…): a sandbox without `allow-*` keeps them inert if ever rendered. */
export const DOWNLOAD_CSP = 'sandbox';

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/** The Host names the server answers to (lower case, IPv6 in brackets, no port). */
export function allowedHostSet(extra: readonly string[]): Set<string> {
  const set = new Set(LOOPBACK_NAMES);
  for (const name of extra) {
    const h = name.trim().toLowerCase();
    if (!h) continue;
    set.add(h.includes(':') && !h.startsWith('[') ? `[${h}]` : h);
  }
  return set;
}

/** `example.test:8787` → `example.test`, `[::1]:80` → `[::1]`; null when malformed. */
export function hostName(hostHeader: string | undefined): string | null {
  if (!hostHeader) return null;
  const h = hostHeader.toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    if (end < 0) return null;
    const rest = h.slice(end + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return null;
    return h.slice(0, end + 1);
  }
  const colon = h.indexOf(':');
  if (colon < 0) return h;
  if (!/^\d{1,5}$/.test(h.slice(colon + 1))) return null;
  return h.slice(0, colon);
}

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** Checks `Authorization: Basic …` against the password (any user name), in constant time. */
export function basicAuthMatches(header: string | undefined, passwordHash: Buffer): boolean | null {
  if (!header) return null;
  const match = /^Basic\s+([A-Za-z0-9+/=]*)\s*$/i.exec(header);
  if (!match) return false;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const given = colon < 0 ? '' : decoded.slice(colon + 1);
  return timingSafeEqual(sha256(given), passwordHash);
}

export interface ThrottleOptions {
  /** Failures allowed before the slow-down starts. */
  freeFailures?: number;
  maxLockMs?: number;
  now?: () => number;
}

/**
 * Per-IP failure counter for the password: after a few failures each further one locks the IP out for twice
 * as long (1 s, 2 s, 4 s … up to maxLockMs), answered with 429 + Retry-After; a success clears it.
 */
export class AuthThrottle {
  private readonly entries = new Map<string, { failures: number; lockedUntil: number; lastAt: number }>();
  private readonly freeFailures: number;
  private readonly maxLockMs: number;
  private readonly now: () => number;

  constructor(options: ThrottleOptions = {}) {
    this.freeFailures = options.freeFailures ?? 5;
    this.maxLockMs = options.maxLockMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
  }

  /** Milliseconds this IP must still wait, 0 when it may try. */
  waitMs(ip: string): number {
    const entry = this.entries.get(ip);
    if (!entry) return 0;
    return Math.max(0, entry.lockedUntil - this.now());
  }

  fail(ip: string): void {
    const now = this.now();
    const entry = this.entries.get(ip) ?? { failures: 0, lockedUntil: 0, lastAt: now };
    entry.failures++;
    entry.lastAt = now;
    const over = entry.failures - this.freeFailures;
    if (over > 0) entry.lockedUntil = now + Math.min(this.maxLockMs, 1000 * 2 ** (over - 1));
    this.entries.set(ip, entry);
    if (this.entries.size > 10_000) this.prune(now);
  }

  succeed(ip: string): void {
    this.entries.delete(ip);
  }

  private prune(now: number): void {
    for (const [ip, entry] of this.entries) {
      if (entry.lockedUntil < now && now - entry.lastAt > this.maxLockMs) this.entries.delete(ip);
    }
  }
}

export interface SecurityOptions {
  allowedHosts: Set<string>;
  password?: string | null;
  /** CSP for everything but downloads (which override it); the dev server passes a nonce variant. */
  csp?: string;
  throttle?: AuthThrottle;
}

/** Why a request is refused before any route sees it; rendered by Fastify's hook or by the lean proxy path. */
export interface Denial {
  status: number;
  code: string;
  detail: string;
  /** Extra response headers, as name/value pairs. */
  headers?: readonly string[];
}

/**
 * The request checks as one plain function (used by the Fastify hook and by the proxy's lean path, so each
 * rule has exactly one implementation), plus the security headers every answer carries, precomputed as
 * flat name/value arrays for `res.writeHead`.
 */
export interface RequestGuard {
  check(method: string | undefined, headers: IncomingHttpHeaders, ip: string | undefined): Denial | null;
  /** Whether `check` needs the client's address (only with a password, for the failure throttle). */
  readonly needsAddress: boolean;
  /** Security headers and the app CSP. */
  readonly responseHeaders: readonly string[];
  /** The same with the download sandbox CSP instead of the app's. */
  readonly downloadHeaders: readonly string[];
}

const MISDIRECTED: Denial = { status: 421, code: ErrorCode.misdirected, detail: 'This server does not answer for that host name.' };
const CROSS_ORIGIN: Denial = {
  status: 403,
  code: ErrorCode.crossOrigin,
  detail: 'Changes must come from this dashboard: same Origin and an X-Requested-With header.',
};
const UNAUTHORIZED: Denial = {
  status: 401,
  code: ErrorCode.unauthorized,
  detail: 'This dashboard needs its password (any user name).',
  headers: ['www-authenticate', 'Basic realm="Convert dashboard", charset="UTF-8"'],
};

/** Does this write come from a page of our own origin? (Host is already known to be allowed.) */
export function isSameOriginWrite(request: { headers: IncomingHttpHeaders }): boolean {
  const h = request.headers;
  const requestedWith = h['x-requested-with'];
  if (typeof requestedWith !== 'string' || requestedWith.trim() === '') return false;
  const origin = h.origin;
  if (origin === undefined) return h['sec-fetch-site'] === 'same-origin';
  const host = h.host;
  // Behind a TLS-terminating reverse proxy the page's origin is https:// with the same host.
  return origin === `http://${host}` || origin === `https://${host}`;
}

function flatHeaders(csp: string): string[] {
  const out: string[] = [];
  for (const name in SECURITY_HEADERS) out.push(name, SECURITY_HEADERS[name]);
  out.push('content-security-policy', csp);
  return out;
}

export function createRequestGuard(options: SecurityOptions): RequestGuard {
  const passwordHash = options.password ? sha256(options.password) : null;
  const throttle = options.throttle ?? new AuthThrottle();
  const allowedHosts = options.allowedHosts;
  // The last Host header seen and its verdict: a keep-alive client sends the same one every time.
  let lastHost: string | undefined;
  let lastHostOk = false;

  function check(method: string | undefined, headers: IncomingHttpHeaders, ip: string | undefined): Denial | null {
    const host = headers.host;
    if (host !== lastHost || host === undefined) {
      const name = hostName(host);
      lastHostOk = name !== null && allowedHosts.has(name);
      lastHost = host;
    }
    if (!lastHostOk) return MISDIRECTED;

    if (passwordHash) {
      const address = ip ?? '';
      const waitMs = throttle.waitMs(address);
      if (waitMs > 0) {
        return {
          status: 429,
          code: ErrorCode.rateLimited,
          detail: 'Too many wrong passwords; wait before trying again.',
          headers: ['retry-after', String(Math.ceil(waitMs / 1000))],
        };
      }
      const ok = basicAuthMatches(headers.authorization, passwordHash);
      if (ok !== true) {
        if (ok === false) throttle.fail(address);
        return UNAUTHORIZED;
      }
      throttle.succeed(address);
    }

    // Every write is guarded, not only those whose raw URL starts with /convert or /api: the router decodes
    // the path (`/%63onvert/…` reaches the /convert routes), and nothing else accepts writes anyway.
    if (method !== 'GET' && method !== 'HEAD' && !isSameOriginWrite({ headers })) return CROSS_ORIGIN;
    return null;
  }

  return { check, needsAddress: passwordHash !== null, responseHeaders: flatHeaders(options.csp ?? APP_CSP), downloadHeaders: flatHeaders(DOWNLOAD_CSP) };
}

/** Runs the guard on every request Fastify serves (everything but the proxy's lean path). */
export function registerSecurity(app: FastifyInstance, guard: RequestGuard): void {
  const base = guard.responseHeaders;
  app.addHook('onRequest', (request, reply, done) => {
    const raw = reply.raw;
    for (let i = 0; i < base.length; i += 2) raw.setHeader(base[i], base[i + 1]);
    const denial = guard.check(request.method, request.headers, request.ip);
    if (denial) {
      const extra = denial.headers;
      if (extra) for (let i = 0; i < extra.length; i += 2) reply.header(extra[i], extra[i + 1]);
      reply.code(denial.status).type('application/json; charset=utf-8').send(errorBody(denial.code, denial.detail));
      return;
    }
    done();
  });
}
