/** Test helper: the batch service alone on a Fastify instance, against a fake upstream and a fake clock. */
import Fastify, { type FastifyInstance } from 'fastify';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeUpstream, type FakeUpstream } from '../testing/fake-upstream.ts';
import { FakeClock } from '../tracker/fake-clock.ts';
import { createUpstreamClient, type UpstreamClient } from '../upstream.ts';
import { createBatchService, type BatchService, type BatchServiceOptions } from './service.ts';

export interface ServiceHarness {
  dir: string;
  clock: FakeClock;
  fake: FakeUpstream;
  upstream: UpstreamClient;
  service: BatchService;
  app: FastifyInstance;
  /** Moves the fake clock, letting the tracker's requests finish at each step. */
  advance(ms: number): Promise<void>;
  /** Closes the app and service only (the data folder, clock and fake upstream stay: for restart tests). */
  stop(): Promise<void>;
  /** A new service and app on the same data folder, clock and upstream. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startServiceHarness(options: Partial<BatchServiceOptions> = {}): Promise<ServiceHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'batches-'));
  const clock = new FakeClock();
  const fake = await startFakeUpstream();
  const upstream = createUpstreamClient({ base: fake.url, apiKey: 'test-key' });
  let seed = 11;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;

  async function build(): Promise<{ service: BatchService; app: FastifyInstance }> {
    const service = createBatchService({
      dataDir: join(dir, 'data'),
      upstream,
      retentionSeconds: 3600,
      samplesDir: join(dir, 'samples'),
      clock,
      random,
      // Tests of the outputs keeper turn it on; elsewhere its downloads would be noise in the fake's requests.
      keepOutputsDefault: false,
      ...options,
    });
    const app = Fastify();
    await app.register(service.plugin);
    await app.ready();
    service.start();
    return { service, app };
  }

  const h: ServiceHarness = {
    dir, clock, fake, upstream,
    ...(await build()),
    advance: (ms) => clock.advance(ms, () => h.service.tracker.settled()),
    async stop() {
      await h.app.close();
      await h.service.close();
    },
    async restart() {
      Object.assign(h, await build());
    },
    async close() {
      await h.stop().catch(() => {});
      await upstream.close();
      await fake.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return h;
}

/** The headers the app engineer's global hook would require are not needed here: only this plugin is mounted. */
export const json = { 'content-type': 'application/json' };
