/**
 * `npm start` (production: serves dist/, built when stale) and `npm run dev` (`--dev`: Vite in middleware
 * mode inside the same server, so /convert and /api are the same code in both).
 * Without FAST_API_BASE the bundled Convert service runs as a child process on loopback with a fresh key.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { buildServer } from './app.ts';
import { buildAppIfStale } from './app-build.ts';
import { followingUpstream, superviseBundledConvertApi, type SupervisedConvertApi } from './bundled-convert-api.ts';
import { createBatchService } from './batches/service.ts';
import { DataDirInUseError, openBatchStore } from './batches/store.ts';
import { ConfigError, loadConfig } from './config.ts';
import { ErrorCode } from '../contract/errors.ts';
import type { UpstreamHealth } from '../contract/dashboard-api.ts';
import { createUpstreamClient } from './upstream.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function displayHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** Set as soon as the child runs, so a failed start does not leave it behind. */
let bundledChild: SupervisedConvertApi | null = null;

async function main(): Promise<void> {
  // Node's own .env reader; variables already set in the environment win, as with --env-file.
  const envFile = path.join(root, '.env');
  if (existsSync(envFile)) process.loadEnvFile(envFile);
  const dev = process.argv.includes('--dev');
  const config = loadConfig();
  const dataDir = path.resolve(config.dataDir);
  await mkdir(dataDir, { recursive: true });
  const store = openBatchStore(dataDir, { keepOutputsDefault: config.keepOutputs.default });
  const distDir = path.join(root, 'dist');

  if (!dev && (await buildAppIfStale(root, distDir))) console.log('Built the app into dist/.');

  let bundled: SupervisedConvertApi | null = null;
  let upstream;
  const limits = { bodyIdleMs: config.upstreamIdleMs, uploadIdleMs: config.uploadIdleMs, uploadsPerClient: config.uploadsPerClient };
  if (config.apiBase && config.apiKey) {
    upstream = createUpstreamClient({ base: config.apiBase, apiKey: config.apiKey, ...limits });
  } else {
    bundled = await superviseBundledConvertApi({ dataDir, outputRetentionSeconds: config.outputRetentionSeconds, cwd: root });
    bundledChild = bundled;
    // A restarted service listens on a new port: the proxy, the tracker and the submissions follow it.
    const following = followingUpstream(createUpstreamClient({ base: bundled.url, apiKey: bundled.apiKey, ...limits }));
    bundled.onRestarted(({ url, apiKey }) => void following.switchTo(createUpstreamClient({ base: url, apiKey, ...limits })));
    upstream = following.client;
  }
  const supervised = bundled;
  const restarting = (): UpstreamHealth | null =>
    supervised?.state === 'restarting'
      ? {
          state: 'restarting',
          error: { error: ErrorCode.upstreamRestarting, detail: 'The bundled Convert service is restarting.', status: 503 },
          since: new Date(supervised.since).toISOString(),
        }
      : null;
  const batches = createBatchService({
    dataDir,
    store,
    upstream,
    retentionSeconds: config.outputRetentionSeconds,
    samplesDir: path.join(root, 'samples'),
    upstreamLabel: bundled ? 'bundled' : upstream.origin,
    limits: { perBatch: config.maxJobsPerBatch, total: config.maxJobsTotal },
    upstreamHealth: restarting,
    keepOutputs: config.keepOutputs,
    trackerOptions: { maxRps: config.trackerMaxRps },
    webhookUrls: config.webhookUrls,
    publicUrl: config.publicUrl,
    stallDefaultMs: config.stallDefaultSeconds * 1000,
    submissions: {
      maxActive: config.feedMaxActive,
      spoolMaxBytes: config.spoolMaxBytes,
      sourceRetentionMs: config.sourceRetentionHours * 3_600_000,
      afterAccepted: crashHook('SUBMISSIONS_CRASH_AFTER_ACCEPTED'),
      afterRecorded: crashHook('SUBMISSIONS_CRASH_AFTER_RECORDED'),
    },
  });

  const nonce = randomBytes(16).toString('base64url');
  const app: FastifyInstance = await buildServer({
    upstream,
    distDir,
    allowedHosts: [config.host, ...config.allowedHosts],
    password: config.password,
    trustProxy: config.trustProxy,
    api: batches.plugin,
    keptOutputs: batches.keeper,
    onJobAction: (event) => {
      // A store that cannot save (disk full, database removed) must not break the proxied answer.
      try {
        batches.observe(event);
      } catch (error) {
        console.error(`A job's observed state could not be saved: ${(error as Error).message}`);
      }
    },
    logger: {
      level: process.env.LOG_LEVEL ?? 'warn',
      redact: ['req.headers["x-fast-api-key"]', 'req.headers.authorization', 'req.headers.cookie'],
    },
    devCspNonce: dev ? nonce : undefined,
    vite: dev
      ? async (httpServer: Server) => {
          const { createServer } = await import('vite');
          return createServer({
            root,
            appType: 'spa',
            // The server checks Host on every request (security.ts); Vite's own check also covers its HMR
            // websocket upgrades, which do not pass through Fastify's hooks.
            server: { middlewareMode: true, hmr: { server: httpServer }, allowedHosts: [config.host, ...config.allowedHosts] },
            html: { cspNonce: nonce },
          });
        }
      : undefined,
  });

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    try {
      await app.close();
      await batches.close();
      await upstream.close();
      await bundled?.stop();
    } finally {
      process.exit(code);
    }
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  await app.listen({ host: config.host, port: config.port });
  batches.start();
  const port = (app.server.address() as AddressInfo).port;
  console.log(`Dashboard: http://${displayHost(config.host)}:${port}${dev ? ' (development, Vite hot reload)' : ''}`);
  console.log(bundled ? `Upstream: bundled Convert service at ${bundled.url} (process ${bundled.pid})` : `Upstream: ${upstream.base}`);
  if (config.password) console.log('Authentication: HTTP Basic, any user name, the password from DASHBOARD_PASSWORD.');
}

/**
 * Test hooks for the crash test (server/submissions/crash.test.ts): N in SUBMISSIONS_CRASH_AFTER_ACCEPTED kills this
 * process with SIGKILL right after the upstream's Nth 202 and before it is recorded; in
 * SUBMISSIONS_CRASH_AFTER_RECORDED, right after the Nth upload is recorded and before the browser is answered.
 */
function crashHook(variable: 'SUBMISSIONS_CRASH_AFTER_ACCEPTED' | 'SUBMISSIONS_CRASH_AFTER_RECORDED'): ((count: number) => void) | undefined {
  const at = Number(process.env[variable]);
  if (!Number.isInteger(at) || at < 1) return undefined;
  return (count) => {
    if (count >= at) process.kill(process.pid, 'SIGKILL');
  };
}

main().catch(async (error: unknown) => {
  if (error instanceof ConfigError) console.error(`Configuration error: ${error.message}`);
  else if (error instanceof DataDirInUseError) console.error(error.message);
  else console.error(error instanceof Error ? error.stack : String(error));
  await bundledChild?.stop().catch(() => {});
  process.exit(1);
});
