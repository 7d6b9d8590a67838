// @vitest-environment node
/**
 * Through the proxy to the real bundled Convert service: a real PNG in, a real JPEG out.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { JobStatusResponse } from '../contract/job.ts';
import { isTerminal } from '../contract/status.ts';
import { buildConvertApi, type ConvertApi } from '../convert-api/app.ts';
import { buildServer } from './app.ts';
import { createUpstreamClient, type UpstreamClient } from './upstream.ts';

const KEY = 'bundled-test-key-5f2a';

let dataDir: string;
let api: ConvertApi;
let upstream: UpstreamClient;
let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'dash-bundled-'));
  api = await buildConvertApi({ dataDir, keys: new Map([[KEY, 'dashboard']]) });
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  upstream = createUpstreamClient({
    base: `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}`,
    apiKey: KEY,
  });
  app = await buildServer({ upstream, allowedHosts: [] });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await app?.close();
  await upstream?.close();
  await api?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const writeHeaders = () => ({ origin: base, 'x-requested-with': 'fetch' });

describe('the proxy in front of the bundled Convert service', () => {
  it('submits a real PNG, follows the job to Succeeded and downloads a real JPEG as an attachment', async () => {
    const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#3366cc' } }).png().toBuffer();
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'blue.png');
    const submitted = await fetch(`${base}/convert?targetFormat=jpg`, { method: 'POST', body: form, headers: writeHeaders() });
    expect(submitted.status).toBe(202);
    const accepted = (await submitted.json()) as { id: string; status: string };
    expect(accepted.status).toBe('Queued');

    // A 429 (the status route's rate limit) is just another "not yet": asked again at the next interval.
    const status = await vi.waitFor(
      async () => {
        const response = await fetch(`${base}/convert/job/${accepted.id}`);
        expect([200, 429]).toContain(response.status);
        const body = response.status === 200 ? ((await response.json()) as JobStatusResponse) : null;
        if (!body || !isTerminal(body.status)) throw new Error(`not finished yet (${response.status} ${body?.status ?? ''})`);
        return body;
      },
      { timeout: 20_000, interval: 250 },
    );
    expect(status.status).toBe('Succeeded');

    const download = await fetch(`${base}/convert/job/${accepted.id}/download`);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toMatch(/^image\/jpeg/);
    expect(download.headers.get('content-disposition')).toMatch(/^attachment;.*\.jpg/);
    expect(download.headers.get('x-content-type-options')).toBe('nosniff');
    expect(download.headers.get('content-security-policy')).toBe('sandbox');
    const jpeg = Buffer.from(await download.arrayBuffer());
    const meta = await sharp(jpeg).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 64, height: 48 });
  });

  it('passes the service\'s own errors through: a wrong method is answered locally, an unknown job by the service', async () => {
    const unknown = await fetch(`${base}/convert/job/${'0'.repeat(32)}`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: 'jobs.not_found' });
    const list = await fetch(`${base}/convert/conversions`);
    expect(list.status).toBe(200);
    expect(((await list.json()) as { conversions: unknown[] }).conversions.length).toBeGreaterThan(0);
  });
});
