// @vitest-environment node
/**
 * Against the real bundled Convert service: a sample image goes through the submit route, the tracker (real
 * clock) watches it run and finish, and the snapshot shows a narrow expiry window.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { BatchSnapshot, CreateBatchResponse, SubmitFileResponse } from '../../contract/dashboard-api.ts';
import { buildConvertApi, type ConvertApi } from '../../convert-api/app.ts';
import { createUpstreamClient, type UpstreamClient } from '../upstream.ts';
import { createBatchService, type BatchService } from './service.ts';

const samplesDir = join(import.meta.dirname, '../../samples');
let dir: string;
let convertApi: ConvertApi;
let upstream: UpstreamClient;
let service: BatchService;
let app: FastifyInstance;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'batches-bundled-'));
  convertApi = await buildConvertApi({ dataDir: join(dir, 'convert-api'), keys: new Map([['bundled-key', 'ops']]), minJobMs: 1500 });
  const address = await convertApi.app.listen({ port: 0, host: '127.0.0.1' });
  upstream = createUpstreamClient({ base: address, apiKey: 'bundled-key' });
  service = createBatchService({
    dataDir: join(dir, 'dashboard'),
    upstream,
    retentionSeconds: 3600,
    samplesDir,
    // Polls at most ~1.2 s apart, so the 1.5 s a job stays Running is always seen, however loaded the
    // machine; the bundled service's burst allowance permits them.
    trackerOptions: { policy: { firstDelayMs: 400, minIntervalMs: 400, viewedCapMs: 1000, unviewedCapMs: 1000 } },
  });
  app = Fastify();
  await app.register(service.plugin);
  await app.ready();
  service.start();
});

afterAll(async () => {
  await app?.close();
  await service?.close();
  await upstream?.close();
  await convertApi?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The first value `read` gives that `done` accepts (real conversions take real time). */
function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  return vi.waitFor(
    async () => {
      const value = await read();
      if (!done(value)) throw new Error('not yet');
      return value;
    },
    { timeout: 20_000, interval: 100 },
  );
}

describe('batches against the bundled Convert service', () => {
  it('submits a sample image, watches it run and finish, and gives its expiry window', async () => {
    const unknownId = '019c56457340753ba9441d7b4e6516a0';
    const created = await app.inject({ method: 'POST', url: '/api/batches', headers: { 'content-type': 'application/json' }, payload: { name: 'Real', ids: unknownId } });
    const { batch } = created.json<CreateBatchResponse>();

    const file = await readFile(join(samplesDir, 'photo-harbor.png'));
    const form = new FormData();
    form.append('file', new Blob([file], { type: 'image/png' }), 'photo-harbor.png');
    const submitted = await app.inject({
      method: 'POST',
      url: `/api/batches/${batch.id}/files?targetFormat=jpg&fileName=photo-harbor.png`,
      payload: form,
    });
    expect(submitted.statusCode).toBe(202);
    const { job } = submitted.json<SubmitFileResponse>();
    // Spooled: the answer comes before any upstream call, and the feeder sends it.
    expect(job).toMatchObject({ state: expect.stringMatching(/^(Waiting|Sending)$/), fileName: 'photo-harbor.png', targetFormat: 'jpg' });

    const read = async () => (await app.inject({ method: 'GET', url: `/api/batches/${batch.id}` })).json<BatchSnapshot>();
    const running = await waitFor(read, (s) => s.jobs[1]?.state === 'Running' || s.jobs[1]?.state === 'Succeeded');
    expect(running.jobs[1].state).toBe('Running');
    const finished = await waitFor(read, (s) => s.jobs[1]?.state === 'Succeeded');
    const done = finished.jobs[1];
    expect(done.state).toBe('Succeeded');
    expect(done.last?.output).toMatchObject({ fileName: 'photo-harbor.jpg', contentType: 'image/jpeg' });
    expect(Date.parse(done.lastSeenActiveAt!)).toBeGreaterThan(Date.parse(done.submittedAt!));
    const expiry = done.expiry as { earliest: string; latest: string };
    expect(Date.parse(expiry.earliest)).toBe(Date.parse(done.lastSeenActiveAt!) + 3_600_000);
    expect(Date.parse(expiry.latest)).toBe(Date.parse(done.firstSeenTerminalAt!) + 3_600_000);
    // Polled every few hundred ms near the end: completion is pinned down to a few seconds.
    expect(Date.parse(expiry.latest) - Date.parse(expiry.earliest)).toBeLessThan(5_000);
    expect(finished.batch).toMatchObject({ outputsReady: 1, counts: { Succeeded: 1, Gone: 1 } });
    expect(finished.jobs[0]).toMatchObject({ id: unknownId, state: 'Gone', problem: { status: 404, error: 'jobs.not_found' } });
    expect(finished.upstream.state).toBe('ok');
    expect(service.tracker.isTracked(done.id)).toBe(false);
  });

  it('makes a demo batch from the sample files, submitting only what the service offers', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/batches/demo' });
    expect(res.statusCode).toBe(201);
    const answer = res.json<CreateBatchResponse>();
    const demo = JSON.parse(await readFile(join(samplesDir, 'demo.json'), 'utf8')) as { items: unknown[] };
    expect(answer.submissions).toHaveLength(demo.items.length);
    const accepted = answer.submissions!.filter((s) => s.jobId);
    expect(accepted.length).toBeGreaterThan(0);
    expect(answer.batch.jobCount).toBe(accepted.length);
    for (const s of answer.submissions!) if (!s.jobId) expect(s.error).not.toBeNull();
  });
});
