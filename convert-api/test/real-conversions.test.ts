// @vitest-environment node
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { buffer as readAll } from 'node:stream/consumers';
import { promisify } from 'node:util';
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import yauzl from 'yauzl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConverters } from '../converters/registry.ts';
import type { Converter } from '../converters/types.ts';
import { processesMentioning } from './processes.ts';
import { KEY_A, getStatus, startApi, stopApi, submit, waitFor, waitForStatus, type TestApi } from './helpers.ts';

let api: TestApi;
// Loaded before the tests are collected: a conversion whose tool is missing here is skipped, not failed.
const converters: Converter[] = await loadConverters();
beforeAll(async () => {
  api = await startApi({ converters, workers: 2 });
});
afterAll(async () => {
  await stopApi(api);
});

const has = (id: string) => converters.some((c) => c.id === id);

async function submitFile(fileName: string, content: Buffer, target: string, options?: unknown): Promise<string> {
  const extra = options === undefined ? [] : [{ name: 'options', value: JSON.stringify(options) }];
  const res = await submit(api, fileName, content, target, KEY_A, extra);
  expect(res.statusCode, res.body).toBe(202);
  return res.json().id;
}

function download(id: string) {
  return api.app.inject({ method: 'GET', url: `/convert/job/${id}/download`, headers: { 'x-fast-api-key': KEY_A } });
}

async function photo(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 80, b: 30 } } }).png().toBuffer();
}

function unzip(buffer: Buffer): Promise<{ name: string; data: Buffer }[]> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buffer, { lazyEntries: true }, (error, zip) => {
      if (error) return reject(error);
      const entries: { name: string; data: Buffer }[] = [];
      zip.on('end', () => resolve(entries));
      zip.on('entry', (entry: yauzl.Entry) =>
        zip.openReadStream(entry, (err, stream) => {
          if (err) return reject(err);
          readAll(stream).then((data) => {
            entries.push({ name: entry.fileName, data });
            zip.readEntry();
          }, reject);
        }),
      );
      zip.readEntry();
    });
  });
}

describe('real conversions through the service', () => {
  it('converts a PNG to a JPEG that decodes with the same size', async () => {
    const id = await submitFile('Photo.PNG', await photo(320, 200), 'jpeg');
    const status = await waitForStatus(api, id, 'Succeeded');
    expect(status.output).toEqual({ fileName: 'Photo.jpg', contentType: 'image/jpeg', fileCount: 1 });
    const res = await download(id);
    expect(res.rawPayload.length).toBe(status.metrics.outputBytes);
    const meta = await sharp(res.rawPayload).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 320, height: 200 });
  });

  it('applies the resize option', async () => {
    const id = await submitFile('big.png', await photo(400, 300), 'webp', { resize: { enabled: true, width: 200 } });
    await waitForStatus(api, id, 'Succeeded');
    const meta = await sharp((await download(id)).rawPayload).metadata();
    expect(meta).toMatchObject({ format: 'webp', width: 200, height: 150 });
  });

  it('refuses a resize option the converter finds invalid', async () => {
    const res = await submit(api, 'a.png', await photo(10, 10), 'jpg', KEY_A, [{ name: 'options', value: '{"resize":{"enabled":true,"preset":"9k"}}' }]);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBe('request.invalid_parameter');
  });

  it('fails a job whose content is not the format of its extension, and refunds it', async () => {
    const before = api.service.store.creditBalance('account-a');
    const id = await submitFile('fake.png', Buffer.from('this is not a png at all'), 'jpg');
    const status = await waitForStatus(api, id, 'Failed');
    expect(status.error?.code).toBe('convert.invalid_input');
    expect(status.error?.detail).toEqual(expect.any(String));
    expect(status.output).toBeNull();
    expect(api.service.store.creditBalance('account-a')).toBe(before);
  });

  it.runIf(has('document.pdf-to-jpg'))('turns a 3-page PDF into one ZIP of 3 JPEGs named by the contract', async () => {
    const pdf = await PDFDocument.create();
    for (let i = 0; i < 3; i++) pdf.addPage([200, 300]);
    const id = await submitFile('Quarterly report.pdf', Buffer.from(await pdf.save()), 'jpg');
    const status = await waitForStatus(api, id, 'Succeeded');
    expect(status.output).toEqual({ fileName: 'convert.fast-pdf-to-jpg-Quarterly report-3-outputs.zip', contentType: 'application/zip', fileCount: 3 });
    const res = await download(id);
    expect(res.headers['content-type']).toBe('application/zip');
    const entries = await unzip(res.rawPayload);
    expect(entries.map((e) => e.name)).toEqual(['Quarterly report-1.jpg', 'Quarterly report-2.jpg', 'Quarterly report-3.jpg']);
    for (const entry of entries) expect((await sharp(entry.data).metadata()).format).toBe('jpeg');
  });
});

describe('a long ffmpeg job', () => {
  it.runIf(has('video.mp4-to-webm'))('is canceled mid-way: Canceled at once, ffmpeg killed, nothing kept', async () => {
    const source = path.join(api.dataDir, 'long.mp4');
    await promisify(execFile)('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25:duration=30',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-y', source]);
    const id = await submitFile('long.mp4', await fs.readFile(source), 'webm');
    await fs.rm(source);
    const running = await waitFor(async () => {
      const body = (await getStatus(api, id)).json();
      return body.status === 'Running' && body.progress.percent > 0 ? body : null;
    }, 20_000);
    expect(running.progress.percent).toBeLessThan(90);
    const upload = path.join(api.dataDir, 'uploads', id);
    expect((await processesMentioning(upload)).length).toBeGreaterThan(0);

    const res = await api.app.inject({ method: 'POST', url: `/convert/job/${id}/cancel`, headers: { 'x-fast-api-key': KEY_A } });
    expect(res.statusCode).toBe(202);
    const canceled = (await getStatus(api, id)).json();
    expect(canceled).toMatchObject({ status: 'Canceled', output: null, progress: { phase: null } });
    expect(canceled.progress.percent).toBeGreaterThanOrEqual(running.progress.percent);
    const started = Date.now();
    await waitFor(async () => (await processesMentioning(upload)).length === 0, 5000);
    expect(Date.now() - started).toBeLessThan(1000);
    await waitFor(async () => (await fs.readdir(path.join(api.dataDir, 'work'))).length === 0, 5000);
    expect(await fs.readdir(path.join(api.dataDir, 'outputs'))).not.toContain(id);
  }, 60_000);
});
