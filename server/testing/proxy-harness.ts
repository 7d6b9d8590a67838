/**
 * Test harness: a fake upstream plus the dashboard server in front of it, listening on 127.0.0.1:0, with
 * every log line captured (to check the key never appears in one).
 */
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildServer, type BuildServerOptions } from '../app.ts';
import { createUpstreamClient, type UpstreamClient, type UpstreamClientOptions } from '../upstream.ts';
import { startFakeUpstream, type FakeUpstream } from './fake-upstream.ts';

export const TEST_KEY = 'fk_test_SECRET_7d1e9a4c0b';

export interface Harness {
  fake: FakeUpstream;
  app: FastifyInstance;
  upstream: UpstreamClient;
  /** `http://127.0.0.1:PORT` */
  base: string;
  logs: string[];
  /** Headers a same-origin fetch from the app would send with a write. */
  writeHeaders: Record<string, string>;
  close(): Promise<void>;
}

export interface HarnessOptions extends Partial<Omit<BuildServerOptions, 'upstream'>> {
  headersTimeoutMs?: number;
  /** Point the proxy somewhere else than the fake (e.g. a closed port). */
  upstreamBase?: string;
  /** Limits of the upstream client (idle times, uploads per client, pool sizes). */
  upstreamOptions?: Partial<UpstreamClientOptions>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const { headersTimeoutMs, upstreamBase, upstreamOptions, ...serverOptions } = options;
  const fake = await startFakeUpstream();
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      logs.push(String(chunk));
      callback();
    },
  });
  const upstream = createUpstreamClient({
    base: upstreamBase ?? fake.url,
    apiKey: TEST_KEY,
    headersTimeoutMs: headersTimeoutMs ?? 10_000,
    ...upstreamOptions,
  });
  const app = await buildServer({
    upstream,
    allowedHosts: ['dash.example.test'],
    logger: { level: 'debug', stream },
    ...serverOptions,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    fake,
    app,
    upstream,
    base,
    logs,
    writeHeaders: { origin: base, 'x-requested-with': 'XMLHttpRequest' },
    async close() {
      await app.close();
      await upstream.close();
      await fake.close();
    },
  };
}
