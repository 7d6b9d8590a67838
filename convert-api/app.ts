import path from 'node:path';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { ErrorCode, errorBody } from '../contract/errors.ts';
import { ApiError } from './api-error.ts';
import { isDiskFull } from './converters/limits.ts';
import { loadConverters } from './converters/registry.ts';
import { publicDetail } from './details.ts';
import { defaultOptions, type ConvertApiOptions } from './options.ts';
import { conversionRoutes } from './routes/conversions.ts';
import { jobRoutes } from './routes/jobs.ts';
import { submitRoute } from './routes/submit.ts';
import { JobService } from './service.ts';

export type { ConvertApiOptions } from './options.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The account of the request's API key (set by the key check, before any route runs). */
    account: string;
    apiKey: string;
  }
}

/** The routes this service knows, for telling a wrong method (405) from an unknown path (404). */
const KNOWN_PATHS: { pattern: RegExp; methods: string[] }[] = [
  { pattern: /^\/convert$/, methods: ['POST'] },
  { pattern: /^\/convert\/conversions$/, methods: ['GET', 'HEAD'] },
  { pattern: /^\/convert\/job\/[^/]+$/, methods: ['GET', 'HEAD', 'DELETE'] },
  { pattern: /^\/convert\/job\/[^/]+\/download$/, methods: ['GET', 'HEAD'] },
  { pattern: /^\/convert\/job\/[^/]+\/cancel$/, methods: ['POST'] },
];

export interface ConvertApi {
  app: FastifyInstance;
  service: JobService;
  close(): Promise<void>;
}

export async function buildConvertApi(partial: Partial<ConvertApiOptions> = {}): Promise<ConvertApi> {
  const options: ConvertApiOptions = {
    ...defaultOptions(),
    dataDir: path.resolve('data/convert-api'),
    keys: new Map(),
    ...partial,
    converters: partial.converters ?? (await loadConverters()),
  };
  const service = await JobService.open(options);
  const app = Fastify({ logger: false, return503OnClosing: true });

  await app.register(multipart, {
    throwFileSizeLimit: false,
    limits: { fileSize: options.maxFileMb * 1024 * 1024, files: 5, fields: 20, fieldSize: 1024 * 1024, parts: 40 },
  });
  app.decorateRequest('account', '');
  app.decorateRequest('apiKey', '');

  // The key check comes before everything, unknown paths included (CONTRACT.md).
  app.addHook('onRequest', async (request) => {
    const key = request.headers['x-fast-api-key'];
    const account = typeof key === 'string' ? options.keys.get(key) : undefined;
    if (account === undefined) {
      throw new ApiError(401, ErrorCode.apiKeyInvalid, 'Missing or invalid X-Fast-Api-Key.');
    }
    request.account = account;
    request.apiKey = key as string;
  });

  // Every detail this service sends passes through here, made free of server paths.
  const send = (reply: FastifyReply, status: number, code: string, detail: string | null, extra?: Record<string, unknown>) =>
    reply.code(status).send(errorBody(code, detail === null ? null : publicDetail(detail, options.dataDir), extra));

  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof ApiError) {
      return send(reply.headers(error.headers), error.statusCode, error.code, error.detail, error.extra);
    }
    const err = error as { statusCode?: number; code?: string; message?: string };
    const status = err.statusCode ?? 500;
    // SQLITE_FULL from the store, ENOSPC/EDQUOT from an upload's write: the server's want of space, said plainly.
    if (isDiskFull(error)) {
      return send(reply, 507, ErrorCode.storageFull, 'The Convert service has run out of disk space and cannot take the request. Try again later.');
    }
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || err.code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') {
      return send(reply, 400, ErrorCode.invalidContentType, err.message ?? null);
    }
    if (status >= 400 && status < 500) {
      return send(reply, status, ErrorCode.invalidParameter, err.message ?? null);
    }
    // The logger is off (requests are not logged), but a bug must not go unseen.
    console.error('convert-api: unexpected error', error);
    return reply.code(500).send(errorBody('internal_error', 'The server failed to handle the request.'));
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    const known = KNOWN_PATHS.find((route) => route.pattern.test(path));
    if (known) {
      return reply
        .code(405)
        .header('allow', known.methods.join(', '))
        .send(errorBody(ErrorCode.methodNotAllowed, `${request.method} is not allowed here.`));
    }
    return reply.code(404).send(errorBody(ErrorCode.notFound, null));
  });

  await submitRoute(app, service);
  await jobRoutes(app, service);
  await conversionRoutes(app, service);
  await app.ready();

  return {
    app,
    service,
    async close() {
      await app.close();
      await service.close();
    },
  };
}
