// @vitest-environment node
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KEY_A, ManualClock, getStatus, startApi, stopApi, submitOk, tempDir, waitFor, waitForStatus, type TestApi } from './helpers.ts';

let api: TestApi | null = null;
afterEach(async () => {
  if (api) await stopApi(api);
  api = null;
});

function download(target: TestApi, id: string) {
  return target.app.inject({ method: 'GET', url: `/convert/job/${id}/download`, headers: { 'x-fast-api-key': KEY_A } });
}

describe('expiry', () => {
  it('deletes the output when the TTL has passed: output null, download 410, file gone, status still answered', async () => {
    const clock = new ManualClock();
    api = await startApi({ clock, outputTtlSeconds: 2 });
    const id = await submitOk(api, 'hello');
    await waitForStatus(api, id, 'Succeeded');
    clock.advance(1999);
    expect((await download(api, id)).statusCode).toBe(200);
    clock.advance(1);
    const status = (await getStatus(api, id)).json();
    expect(status).toMatchObject({ status: 'Succeeded', progress: { percent: 100, phase: null }, output: null });
    const gone = await download(api, id);
    expect(gone.statusCode).toBe(410);
    expect(gone.json()).toMatchObject({ error: 'jobs.expired' });
    await waitFor(async () => (await fs.readdir(path.join(api!.dataDir, 'outputs'))).length === 0);
  });

  it('expires outputs from its timer without any request', async () => {
    api = await startApi({ outputTtlSeconds: 1, sweepIntervalMs: 50 });
    const id = await submitOk(api, 'hello');
    await waitForStatus(api, id, 'Succeeded');
    expect(await fs.readdir(path.join(api.dataDir, 'outputs'))).toEqual([id]);
    await waitFor(async () => (await fs.readdir(path.join(api!.dataDir, 'outputs'))).length === 0, 5000);
    expect(api.service.store.get(id)?.outputExpired).toBe(true);
  });

  it('forgets a finished job 24 hours after completion', async () => {
    const clock = new ManualClock();
    api = await startApi({ clock });
    const id = await submitOk(api, 'fail');
    await waitForStatus(api, id, 'Failed');
    clock.advance(24 * 3600 * 1000);
    expect((await getStatus(api, id)).json()).toEqual({ error: 'jobs.not_found', detail: null });
    expect(api.service.store.get(id)).toBeNull();
  });
});

describe('startup', () => {
  it('removes files no job refers to, partial uploads and half-done work, and keeps unexpired outputs', async () => {
    const dataDir = await tempDir();
    const clock = new ManualClock();
    const first = await startApi({ dataDir, clock, outputTtlSeconds: 60 });
    const keep = await submitOk(first, 'hello');
    await waitForStatus(first, keep, 'Succeeded');
    const second = await submitOk(first, 'hello');
    await waitForStatus(first, second, 'Succeeded');
    await first.close();

    const orphan = 'f'.repeat(32);
    await fs.writeFile(path.join(dataDir, 'uploads', orphan), 'x');
    await fs.writeFile(path.join(dataDir, 'outputs', orphan), 'x');
    await fs.writeFile(path.join(dataDir, 'incoming', 'partial'), 'x');
    await fs.mkdir(path.join(dataDir, 'work', orphan));

    clock.advance(30_000);
    api = await startApi({ dataDir, clock, outputTtlSeconds: 60 });
    expect(await fs.readdir(path.join(dataDir, 'uploads'))).toEqual([]);
    expect((await fs.readdir(path.join(dataDir, 'outputs'))).sort()).toEqual([second, keep].sort());
    expect(await fs.readdir(path.join(dataDir, 'incoming'))).toEqual([]);
    expect(await fs.readdir(path.join(dataDir, 'work'))).toEqual([]);
    expect((await download(api, keep)).statusCode).toBe(200);
  });

  it('sweeps outputs that expired while the service was stopped', async () => {
    const dataDir = await tempDir();
    const clock = new ManualClock();
    const first = await startApi({ dataDir, clock, outputTtlSeconds: 60 });
    const id = await submitOk(first, 'hello');
    await waitForStatus(first, id, 'Succeeded');
    await first.close();
    clock.advance(61_000);
    api = await startApi({ dataDir, clock, outputTtlSeconds: 60 });
    expect(await fs.readdir(path.join(dataDir, 'outputs'))).toEqual([]);
    expect((await download(api, id)).statusCode).toBe(410);
  });
});
