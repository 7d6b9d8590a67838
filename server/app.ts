/**
 * The dashboard server as a Fastify instance (no listen here: main.ts and the tests decide where it runs).
 * Order matters: security checks first (onRequest), then the proxy's /convert routes, the /api plugin, and
 * the app itself (built files, or Vite in middleware mode for development) with the SPA fallback.
 */
import Fastify, { LogController, type FastifyInstance, type FastifyPluginAsync, type FastifyServerOptions } from 'fastify';
import fastifyStatic from '@fastify/static';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Server } from 'node:http';
import type { ViteDevServer } from 'vite';
import { ErrorCode, errorBody } from '../contract/errors.ts';
import type { UpstreamClient } from './upstream.ts';
import { registerProxy, type JobActionEvent } from './proxy.ts';
import { APP_CSP, AuthThrottle, SECURITY_HEADERS, allowedHostSet, devCsp, registerSecurity } from './security.ts';

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
}

const HASHED_ASSET = /\/assets\/[^/]+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

function isServerPath(url: string): boolean {
  return url === '/api' || url.startsWith('/api/') || url.startsWith('/api?') || url === '/convert' || url.startsWith('/convert/') || url.startsWith('/convert?');
}

export async function buildServer(options: BuildServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    // Per-request log lines cost throughput on the proxy's hot path; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    // Uploads may take longer than Node's default 5 minutes: no overall request deadline. Slow-loris is
    // bounded by the headers timeout set below instead.
    requestTimeout: 0,
    connectionTimeout: 0,
    keepAliveTimeout: 72_000,
    // Long enough that an over-long job id reaches the handler and gets its 400, not a 404.
    routerOptions: { maxParamLength: 1000 },
    trustProxy: false,
  });
  app.server.headersTimeout = 60_000;

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

  const csp = vite && options.devCspNonce ? devCsp(options.devCspNonce) : APP_CSP;
  registerSecurity(app, {
    allowedHosts: allowedHostSet(options.allowedHosts),
    password: options.password || null,
    csp,
    throttle: options.authThrottle,
  });

  registerProxy(app, { upstream: options.upstream, onJobAction: options.onJobAction });
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
