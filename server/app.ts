/**
 * The dashboard server as a Fastify instance (no listen here: main.ts and the tests decide where it runs).
 * Order matters: security checks first (onRequest), then the proxy's /convert routes, the /api plugin, and
 * the app itself (built files, or Vite in middleware mode for development) with the SPA fallback.
 */
import proxyAddr from '@fastify/proxy-addr';
import Fastify, {
  LogController,
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import fastifyStatic from '@fastify/static';
import { existsSync } from 'node:fs';
import path from 'node:path';
import http, { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ViteDevServer } from 'vite';
import { ErrorCode, errorBody } from '../contract/errors.ts';
import type { UpstreamClient } from './upstream.ts';
import { createProxy, sendError, type JobActionEvent, type KeptOutputs, type Proxy } from './proxy.ts';
import { APP_CSP, AuthThrottle, SECURITY_HEADERS, allowedHostSet, createRequestGuard, devCsp, registerSecurity, type Denial } from './security.ts';

export type { JobActionEvent } from './proxy.ts';

export interface BuildServerOptions {
  upstream: UpstreamClient;
  /** Built app (`dist/`); ignored when `vite` is given. */
  distDir?: string;
  /** Host names accepted besides localhost, 127.0.0.1 and [::1] (the HOST bound to, ALLOWED_HOSTS). */
  allowedHosts: string[];
  /** HTTP Basic password for every route (any user name); null/undefined/empty = no authentication. */
  password?: string | null;
  /** The batches plugin: registered as is, defines its own `/api/...` routes. */
  api?: FastifyPluginAsync;
  /** Kept copies of outputs (server/outputs): the download route serves them once the upstream's are gone. */
  keptOutputs?: KeptOutputs;
  /** Called after the upstream answered a proxied job route, so the batch store can reflect it. */
  onJobAction?: (event: JobActionEvent) => void;
  /**
   * Development: Vite in middleware mode serves the app. Pass a factory to let Vite's HMR websocket share
   * this server's port (it receives the Fastify http server before listen).
   */
  vite?: ViteDevServer | ((httpServer: Server) => Promise<ViteDevServer>);
  /** Nonce Vite was given as `html.cspNonce` (dev only), allowed in the HTML's CSP. */
  devCspNonce?: string;
  logger?: FastifyServerOptions['logger'];
  /** Password throttle (tests pass one with a fake clock). */
  authThrottle?: AuthThrottle;
  /** Reverse proxies whose X-Forwarded-For names the client (TRUST_PROXY); none: the peer is the client. */
  trustProxy?: string[];
}

/** A Vite asset whose name carries its content hash (optionally one of its precompressed copies). */
const HASHED_ASSET = /\/assets\/[^/]+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+(?:\.(?:br|gz))?$/;

function isServerPath(url: string): boolean {
  return url === '/api' || url.startsWith('/api/') || url.startsWith('/api?') || url === '/convert' || url.startsWith('/convert/') || url.startsWith('/convert?');
}

/** `/convert`, `/convert/…` or `/convert?…` without percent-encoding: served without Fastify. */
function isLeanProxyUrl(url: string): boolean {
  if (!url.startsWith('/convert')) return false;
  const next = url.charCodeAt(8);
  return (Number.isNaN(next) || next === 0x2f /* / */ || next === 0x3f /* ? */) && !url.includes('%');
}

export async function buildServer(options: BuildServerOptions): Promise<FastifyInstance> {
  const csp = options.vite && options.devCspNonce ? devCsp(options.devCspNonce) : APP_CSP;
  const guard = createRequestGuard({
    allowedHosts: allowedHostSet(options.allowedHosts),
    password: options.password || null,
    csp,
    throttle: options.authThrottle,
  });
  // Set once the Fastify instance exists (its logger); the server does not listen before that.
  let proxy: Proxy | null = null;

  const trustedProxies = options.trustProxy?.length ? options.trustProxy : null;
  const trusted = trustedProxies ? proxyAddr.compile(trustedProxies) : null;
  // The same answer as Fastify's request.ip with the same trustProxy, for the paths that bypass Fastify.
  const clientAddress = (req: IncomingMessage) => (trusted ? proxyAddr(req, trusted) : req.socket.remoteAddress);
  const checkRaw = (req: IncomingMessage) => guard.check(req.method, req.headers, guard.needsAddress ? clientAddress(req) : undefined);

  /**
   * The proxy's hot path bypasses Fastify's per-request machinery (request/reply objects, hooks, router,
   * content-type parsing), which cost most of the proxy's CPU under load. It runs the same guard as
   * Fastify's onRequest hook; every other URL (and percent-encoded /convert variants) goes to Fastify.
   */
  function serverFactory(handler: (req: IncomingMessage, res: ServerResponse) => void): Server {
    const server = http.createServer((req, res) => {
      const url = req.url;
      if (proxy === null || url === undefined || !isLeanProxyUrl(url)) return handler(req, res);
      try {
        const denial = checkRaw(req);
        if (denial) return sendError(res, guard.responseHeaders, denial.status, denial.code, denial.detail, denial.headers);
        proxy.serve(req, res);
      } catch (error) {
        // What Fastify would do for a throwing handler: log it and answer 500, never crash the process.
        app.log.error({ err: error }, 'request failed');
        if (res.headersSent) res.destroy();
        else sendError(res, guard.responseHeaders, 500, 'internal', 'Internal server error.');
      }
    });
    // Uploads may take longer than Node's default 5 minutes: no overall request deadline. Slow-loris is
    // bounded by the headers timeout instead.
    server.requestTimeout = 0;
    server.headersTimeout = 60_000;
    server.keepAliveTimeout = 72_000;
    return server;
  }

  const app = Fastify({
    serverFactory,
    logger: options.logger ?? false,
    // Per-request log lines cost throughput on the proxy's hot path; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    connectionTimeout: 0,
    // Long enough that an over-long job id reaches the handler and gets its 400, not a 404.
    routerOptions: { maxParamLength: 1000 },
    trustProxy: trustedProxies ?? false,
  });

  app.setErrorHandler((error: { statusCode?: number; code?: string; message: string }, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    const code = status === 404 ? ErrorCode.notFound : status >= 500 ? 'internal' : (error.code ?? 'request.invalid');
    reply
      .code(status)
      .type('application/json; charset=utf-8')
      .send(errorBody(code, status >= 500 ? 'Internal server error.' : error.message));
  });

  let vite: ViteDevServer | undefined;
  if (typeof options.vite === 'function') vite = await options.vite(app.server);
  else vite = options.vite;
  // Vite's HMR websocket shares this server: its upgrades pass the same Host and password checks as requests.
  if (vite) guardUpgrades(app.server, checkRaw);

  registerSecurity(app, guard);
  const theProxy = createProxy({ upstream: options.upstream, kept: options.keptOutputs, guard, log: app.log, onJobAction: options.onJobAction, clientAddress });
  app.register(async (scope) => {
    // Bodies stay unread streams (POST /convert pipes the request upstream): no parsing here.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
    // Percent-encoded paths (`/%63onvert/…`) that Fastify's router decoded: the same proxy, after the hooks.
    const handler = (request: FastifyRequest, reply: FastifyReply) => {
      reply.hijack();
      theProxy.serve(request.raw, reply.raw);
    };
    const methods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
    scope.route({ method: methods, url: '/convert', exposeHeadRoute: false, handler });
    scope.route({ method: methods, url: '/convert/*', exposeHeadRoute: false, handler });
  });
  proxy = theProxy;
  if (options.api) await app.register(options.api);

  const distDir = options.distDir ? path.resolve(options.distDir) : null;
  const hasDist = !vite && distDir !== null && existsSync(path.join(distDir, 'index.html'));

  if (vite) {
    const devServer = vite;
    app.addHook('onClose', async () => devServer.close());
    // Vite answers the app's files, its HMR client and the index.html (its own SPA fallback); what it does
    // not handle falls through to the JSON 404.
    app.route({
      method: ['GET', 'HEAD'],
      url: '/*',
      handler: (request, reply) => {
        // Vite's own SPA fallback would answer unknown /api paths with the app; they get the JSON 404.
        if (isServerPath(request.url)) return reply.callNotFound();
        reply.hijack();
        const res = reply.raw;
        devServer.middlewares(request.raw, res, () => {
          res.statusCode = 404;
          res.setHeader('content-type', 'application/json; charset=utf-8');
          res.end(JSON.stringify(errorBody(ErrorCode.notFound, 'Not found.')));
        });
      },
    });
  } else if (hasDist && distDir) {
    await app.register(fastifyStatic, {
      root: distDir,
      wildcard: true,
      cacheControl: false,
      dotfiles: 'deny',
      // dist/ holds .br and .gz copies written at build time (server/precompress.ts).
      preCompressed: true,
      setHeaders(reply, filePath) {
        reply.header(
          'cache-control',
          HASHED_ASSET.test(filePath.split(path.sep).join('/')) ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
      },
    });
  }

  app.setNotFoundHandler((request, reply) => {
    const url = request.url;
    const method = request.method;
    const lastSegment = url.split('?', 1)[0].split('/').pop() ?? '';
    // Client-side routes get the app; API paths and missing files (a dot in the name) get a JSON 404.
    if (hasDist && (method === 'GET' || method === 'HEAD') && !isServerPath(url) && !lastSegment.includes('.')) {
      return reply
        .code(200)
        .header('cache-control', 'no-cache')
        .header('content-security-policy', csp)
        .type('text/html; charset=utf-8')
        .sendFile('index.html');
    }
    return reply
      .code(404)
      .type('application/json; charset=utf-8')
      .send(errorBody(ErrorCode.notFound, `No route for ${method} ${url.split('?', 1)[0]}.`));
  });

  return app;
}

export { SECURITY_HEADERS, APP_CSP };

type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** Puts a check in front of the `upgrade` listeners already on the server; a denied upgrade gets the error envelope. */
function guardUpgrades(server: Server, check: (req: IncomingMessage) => Denial | null): void {
  const listeners = server.listeners('upgrade') as UpgradeListener[];
  server.removeAllListeners('upgrade');
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const denial = check(req);
    if (!denial) {
      for (const listener of listeners) listener.call(server, req, socket, head);
      return;
    }
    const body = JSON.stringify(errorBody(denial.code, denial.detail));
    const extra = denial.headers ?? [];
    let extraHeaders = '';
    for (let i = 0; i < extra.length; i += 2) extraHeaders += `${extra[i]}: ${extra[i + 1]}\r\n`;
    socket.end(
      `HTTP/1.1 ${denial.status} ${STATUS_CODES[denial.status] ?? ''}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\n${extraHeaders}\r\n${body}`,
    );
  });
}
