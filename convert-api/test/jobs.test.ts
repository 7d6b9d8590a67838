// @vitest-environment node
import { readdirSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import yauzl from 'yauzl';
import { afterEach, describe, expect, it } from 'vitest';
import { KEY_A, KEY_B, getStatus, startApi, stopApi, submitOk, waitFor, waitForHolds, waitForStatus, type TestApi } from './helpers.ts';

let api: TestApi;
afterEach(async () => {
  if (api) await stopApi(api);
});

function call(method: 'GET' | 'POST' | 'DELETE', url: string, key = KEY_A) {
  return api.app.inject({ method, url, headers: { 'x-fast-api-key': key } });
}

async function unzipNames(buffer: Buffer): Promise<{ name: string; text: string }[]> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.fromBuffer(buffer, { lazyEntries: true }, (error, zip) => (error ? reject(error) : resolve(zip))),
  );
  const entries: { name: string; text: string }[] = [];
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', () => resolve());
    zip.on('entry', (entry: yauzl.Entry) => {
      zip.openReadStream(entry, (error, stream) => {
        if (error) return reject(error);
        text(stream).then((content) => {
          entries.push({ name: entry.fileName, text: content });
          zip.readEntry();
        }, reject);
      });
    });
    zip.readEntry();
  });
  return entries;
}

describe('a job from submission to deletion', () => {
  it('runs to Succeeded with the seed status shape, downloads, deletes with 204 and is then unknown everywhere', async () => {
    api = await startApi();
    const id = await submitOk(api, 'hello', 'report.txt');
    const status = await waitForStatus(api, id, 'Succeeded');
    expect(status).toEqual({
      id,
      status: 'Succeeded',
      progress: { percent: 100, phase: null },
      metrics: { inputBytes: 5, outputBytes: 'hello #1'.length, creditCost: 2 },
      error: null,
      output: { fileName: 'report.out', contentType: 'text/plain', fileCount: 1 },
    });
    const download = await call('GET', `/convert/job/${id}/download`);
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-type']).toBe('text/plain');
    expect(download.headers['content-disposition']).toBe('attachment; filename="report.out"');
    expect(download.body).toBe('hello #1');

    expect((await call('POST', `/convert/job/${id}/cancel`)).json()).toMatchObject({ error: 'jobs.not_cancellable' });
    const del = await call('DELETE', `/convert/job/${id}`);
    expect(del.statusCode).toBe(204);
    expect(del.body).toBe('');
    for (const [method, url] of [['GET', `/convert/job/${id}`], ['GET', `/convert/job/${id}/download`], ['POST', `/convert/job/${id}/cancel`], ['DELETE', `/convert/job/${id}`]] as const) {
      const res = await call(method, url);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json()).toEqual({ error: 'jobs.not_found', detail: null });
    }
    expect(await fs.readdir(path.join(api.dataDir, 'outputs'))).toEqual([]);
    expect(await fs.readdir(path.join(api.dataDir, 'uploads'))).toEqual([]);
  });

  it('packages several outputs into one ZIP named by the contract, with numbered entries', async () => {
    api = await startApi();
    const id = await submitOk(api, 'pages:3', 'scan.txt');
    const status = await waitForStatus(api, id, 'Succeeded');
    expect(status.output).toEqual({ fileName: 'convert.fast-txt-to-out-scan-3-outputs.zip', contentType: 'application/zip', fileCount: 3 });
    const download = await call('GET', `/convert/job/${id}/download`);
    expect(download.headers['content-type']).toBe('application/zip');
    expect(download.headers['content-disposition']).toBe('attachment; filename="convert.fast-txt-to-out-scan-3-outputs.zip"');
    expect(download.rawPayload.length).toBe(status.metrics.outputBytes);
    const entries = await unzipNames(download.rawPayload);
    expect(entries).toEqual([
      { name: 'scan-1.out', text: 'pages:3 #1' },
      { name: 'scan-2.out', text: 'pages:3 #2' },
      { name: 'scan-3.out', text: 'pages:3 #3' },
    ]);
  });

  it('sends a non-ASCII name with an ASCII fallback and the UTF-8 form', async () => {
    api = await startApi();
    const id = await submitOk(api, 'x', 'résumé été.txt');
    await waitForStatus(api, id, 'Succeeded');
    const download = await call('GET', `/convert/job/${id}/download`);
    expect(download.headers['content-disposition']).toBe(
      `attachment; filename="r_sum_ _t_.out"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%C3%A9t%C3%A9.out`,
    );
  });

  it('ends Failed with the converter error, refunds the credits and has no download', async () => {
    api = await startApi();
    const id = await submitOk(api, 'fail');
    const status = await waitForStatus(api, id, 'Failed');
    expect(status).toMatchObject({
      progress: { phase: null },
      metrics: { inputBytes: 4, outputBytes: 0, creditCost: 0 },
      error: { code: 'convert.invalid_input', detail: 'This is not a valid text file.' },
      output: null,
    });
    expect(api.service.store.creditBalance('account-a')).toBe(0);
    const download = await call('GET', `/convert/job/${id}/download`);
    expect(download.statusCode).toBe(409);
    expect(download.json().error).toBe('jobs.not_ready');
    expect(download.json().detail).toMatch(/no output/);
    const crash = await submitOk(api, 'crash');
    expect((await waitForStatus(api, crash, 'Failed')).error).toEqual({ code: 'convert.failed', detail: 'converter bug' });
    expect((await call('DELETE', `/convert/job/${id}`)).statusCode).toBe(204);
  });

  it('has removed the upload and the scratch files by the time a job is seen Succeeded or Failed', async () => {
    api = await startApi();
    const { store } = api.service;
    const onDisk: Record<string, string[]> = {};
    const look = (id: string) => {
      const dirs = ['uploads', 'work'].map((dir) => readdirSync(path.join(api!.dataDir, dir)));
      onDisk[id] = dirs.flat().filter((name) => name.startsWith(id));
    };
    const markSucceeded = store.markSucceeded.bind(store);
    const markFailed = store.markFailed.bind(store);
    store.markSucceeded = (id, ...rest) => (look(id), markSucceeded(id, ...rest));
    store.markFailed = (id, ...rest) => (look(id), markFailed(id, ...rest));
    const ok = await submitOk(api, 'hello');
    const bad = await submitOk(api, 'fail');
    await waitForStatus(api, ok, 'Succeeded');
    await waitForStatus(api, bad, 'Failed');
    expect(onDisk).toEqual({ [ok]: [], [bad]: [] });
  });

  it('charges credits at submission', async () => {
    api = await startApi();
    await submitOk(api, 'hold');
    expect(api.service.store.creditBalance('account-a')).toBe(-2);
  });
});

describe('queued and running jobs', () => {
  it('shows Queued with phase queued, Running with converting progress, and refuses download and delete', async () => {
    api = await startApi({ workers: 1 });
    const running = await submitOk(api, 'hold');
    const queued = await submitOk(api, 'hold');
    await waitForHolds(api, 1);
    const r = (await getStatus(api, running)).json();
    expect(r.status).toBe('Running');
    expect(r.progress.phase).toBe('converting');
    expect(r.progress.percent).toBe(36); // 40% of the conversion, mapped onto the converting span
    expect(r.output).toBeNull();
    const q = (await getStatus(api, queued)).json();
    expect(q).toMatchObject({ status: 'Queued', progress: { percent: 0, phase: 'queued' }, output: null, error: null });
    for (const id of [running, queued]) {
      const download = await call('GET', `/convert/job/${id}/download`);
      expect(download.statusCode).toBe(409);
      expect(download.json()).toEqual({ error: 'jobs.not_ready', detail: 'Job is still processing or waiting to start.' });
      const del = await call('DELETE', `/convert/job/${id}`);
      expect(del.statusCode).toBe(409);
      expect(del.json().error).toBe('jobs.not_deletable');
    }
  });

  it('cancels a queued job before answering 202 with Location, and it never runs', async () => {
    api = await startApi({ workers: 1 });
    await submitOk(api, 'hold');
    const queued = await submitOk(api, 'hello');
    const res = await call('POST', `/convert/job/${queued.toUpperCase()}/cancel`);
    expect(res.statusCode).toBe(202);
    expect(res.body).toBe('');
    expect(res.headers.location).toBe(`/convert/job/${queued}`);
    expect((await getStatus(api, queued)).json()).toMatchObject({ status: 'Canceled', progress: { percent: 0, phase: null }, output: null });
    await waitForHolds(api, 1);
    api.holds.releaseAll();
    await waitFor(() => api.service.store.countActive('account-a') === 0);
    expect((await getStatus(api, queued)).json().status).toBe('Canceled');
    expect((await call('POST', `/convert/job/${queued}/cancel`)).json().error).toBe('jobs.not_cancellable');
    expect((await call('GET', `/convert/job/${queued}/download`)).statusCode).toBe(409);
    expect((await call('DELETE', `/convert/job/${queued}`)).statusCode).toBe(204);
  });

  it('cancels a running job at once: the converter is aborted, the last percent kept, no output', async () => {
    api = await startApi();
    const id = await submitOk(api, 'hold');
    await waitForHolds(api, 1);
    const res = await call('POST', `/convert/job/${id}/cancel`);
    expect(res.statusCode).toBe(202);
    expect(res.headers.location).toBe(`/convert/job/${id}`);
    expect((await getStatus(api, id)).json()).toMatchObject({ status: 'Canceled', progress: { percent: 36, phase: null }, output: null, error: null });
    await waitFor(() => api.holds.aborted === 1);
    expect(api.service.store.countActive('account-a')).toBe(0);
    await waitFor(async () => (await fs.readdir(path.join(api.dataDir, 'work'))).length === 0);
    expect(await fs.readdir(path.join(api.dataDir, 'outputs'))).toEqual([]);
  });

  it('keeps a job Running for the minimum time with progress paced and never decreasing', async () => {
    api = await startApi({ minJobMs: 600 });
    const id = await submitOk(api, 'hello');
    const seen: number[] = [];
    await waitFor(async () => {
      const body = (await getStatus(api, id)).json();
      seen.push(body.progress.percent);
      if (body.status === 'Running') expect(body.progress.phase).toBe('converting');
      return body.status === 'Succeeded';
    });
    expect(seen.length).toBeGreaterThan(2);
    expect(seen.some((p) => p > 0 && p < 100)).toBe(true);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
  });
});

describe('ids and accounts', () => {
  it('accepts the hyphenated and upper-case forms and answers with 32 lowercase hex', async () => {
    api = await startApi();
    const id = await submitOk(api, 'x');
    const hyphenated = `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`.toUpperCase();
    const res = await call('GET', `/convert/job/${hyphenated}`);
    expect(res.statusCode).toBe(200);
    expect(res.json().id).toBe(id);
  });

  it.each(['..', '%2e%2e'])('answers 404 to the dot segment %j, which URL parsing resolves to another path', async (bad) => {
    api = await startApi();
    const res = await call('GET', `/convert/job/${bad}`);
    expect(res.statusCode).toBe(404);
    expect(['jobs.not_found', 'not_found']).toContain(res.json().error);
  });

  it.each(['..%2F..%2Fconvert-api.sqlite', `${'0'.repeat(32)}%2F..`, 'abc', `${'0'.repeat(31)}g`, '%00', `${'a'.repeat(32)}%20`])(
    'answers 404 jobs.not_found for the id %j',
    async (bad) => {
      api = await startApi();
      for (const url of [`/convert/job/${bad}`, `/convert/job/${bad}/download`]) {
        const res = await call('GET', url);
        expect(res.statusCode, url).toBe(404);
        expect(res.json().error, url).toBe('jobs.not_found');
      }
      expect((await call('DELETE', `/convert/job/${bad}`)).json().error).toBe('jobs.not_found');
      expect((await call('POST', `/convert/job/${bad}/cancel`)).json().error).toBe('jobs.not_found');
    },
  );

  it('answers 404 for a well-formed id that does not exist', async () => {
    api = await startApi();
    expect((await call('GET', `/convert/job/${'0'.repeat(32)}`)).json()).toEqual({ error: 'jobs.not_found', detail: null });
  });

  it('answers 403 jobs.forbidden to another account on every job endpoint', async () => {
    api = await startApi();
    const id = await submitOk(api, 'hold');
    for (const [method, url] of [['GET', `/convert/job/${id}`], ['GET', `/convert/job/${id}/download`], ['POST', `/convert/job/${id}/cancel`], ['DELETE', `/convert/job/${id}`]] as const) {
      const res = await call(method, url, KEY_B);
      expect(res.statusCode, `${method} ${url}`).toBe(403);
      expect(res.json().error).toBe('jobs.forbidden');
    }
    expect((await getStatus(api, id)).json().status).not.toBe('Canceled');
  });
});

describe('keys and routes', () => {
  it('answers 401 to a missing or wrong key on every route, known or not', async () => {
    api = await startApi();
    const id = '0'.repeat(32);
    const routes = [['POST', '/convert'], ['GET', '/convert/conversions'], ['GET', `/convert/job/${id}`], ['GET', `/convert/job/${id}/download`],
      ['POST', `/convert/job/${id}/cancel`], ['DELETE', `/convert/job/${id}`], ['GET', '/convert/nothing'], ['PUT', '/convert'], ['GET', '/']] as const;
    for (const [method, url] of routes) {
      for (const headers of [{}, { 'x-fast-api-key': 'wrong' }]) {
        const res = await api.app.inject({ method, url, headers });
        expect(res.statusCode, `${method} ${url}`).toBe(401);
        expect(res.json().error).toBe('api_key.invalid_or_ip_not_allowed');
      }
    }
  });

  it('answers 404 not_found to unknown paths and 405 to a known path with the wrong method', async () => {
    api = await startApi();
    const unknown = await call('GET', '/convert/nothing');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ error: 'not_found', detail: null });
    for (const [method, url] of [['GET', '/convert'], ['DELETE', '/convert/conversions'], ['POST', `/convert/job/${'0'.repeat(32)}`], ['GET', `/convert/job/${'0'.repeat(32)}/cancel`]] as const) {
      const res = await call(method, url);
      expect(res.statusCode, `${method} ${url}`).toBe(405);
      expect(res.json().error).toBe('method_not_allowed');
    }
  });

  it('lists the loaded conversions in the contract shape', async () => {
    api = await startApi({ maxFileMb: 3 });
    const res = await call('GET', '/convert/conversions');
    expect(res.statusCode).toBe(200);
    expect(res.json().conversions[0]).toEqual({
      id: 'test.txt-to-out', category: 'Test', sourceFormats: ['txt', 'text'], targetFormat: 'out', outputExtension: 'out', creditCost: 2, maxFileBytes: 3 * 1024 * 1024,
    });
    expect(res.json().conversions).toHaveLength(2);
  });
});
