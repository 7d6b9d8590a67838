// @vitest-environment node
/**
 * Issue 13's faults of the upstream side, each against a hostile or broken fake upstream: stalled uploads
 * (1), the key echoed in bodies (5), bodies that are not the contract's shape (6), answers that dribble (7).
 */
import net from 'node:net';
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { compactSnapshot } from '../src/lib/batch-jobs.ts';
import type { BatchSnapshot } from '../contract/dashboard-api.ts';
import type { Problem } from '../contract/errors.ts';
import type { JobStatusResponse } from '../contract/job.ts';
import type { JobActionEvent } from './proxy.ts';
import { startServiceHarness, json, type ServiceHarness } from './batches/test-harness.ts';
import { answers, startFakeUpstream, type FakeUpstream } from './testing/fake-upstream.ts';
import { startHarness, TEST_KEY, type Harness, type HarnessOptions } from './testing/proxy-harness.ts';
import { rawRequest } from './testing/raw-request.ts';
import { FakeClock } from './tracker/fake-clock.ts';
import { createTracker } from './tracker/tracker.ts';
import { jobId, statusBody } from './tracker/test-fixtures.ts';
import { createRedactor, createUpstreamClient, type UpstreamClient } from './upstream.ts';

const ID = jobId(1);
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function proxy(options: HarnessOptions = {}): Promise<Harness> {
  const h = await startHarness(options);
  cleanups.push(() => h.close());
  return h;
}

async function fakeUpstream(): Promise<FakeUpstream> {
  const fake = await startFakeUpstream();
  cleanups.push(() => fake.close());
  return fake;
}

function client(base: string, options: Partial<Parameters<typeof createUpstreamClient>[0]> = {}): UpstreamClient {
  const upstream = createUpstreamClient({ base, apiKey: TEST_KEY, ...options });
  cleanups.push(() => upstream.close());
  return upstream;
}

/** A tracker on `upstream` with a fake clock, recording what it reports. */
function tracker(upstream: UpstreamClient, requestTimeoutMs = 600_000) {
  const clock = new FakeClock();
  const statuses: JobStatusResponse[] = [];
  const problems: Problem[] = [];
  const t = createTracker({
    upstream,
    clock,
    random: () => 0.5,
    options: { requestTimeoutMs },
    sink: {
      status: (_id, body) => statuses.push(body),
      gone: () => {},
      forbidden: () => {},
      problem: (_id, problem) => problems.push(problem),
      isViewed: () => true,
    },
  });
  cleanups.push(() => t.close());
  return { tracker: t, clock, statuses, problems };
}

/** Opens a socket that sends the head of a 100 MB upload and 1 KiB of its body, then nothing. */
function stalledUpload(base: string): { socket: net.Socket; answer: Promise<string> } {
  const { port } = new URL(base);
  const socket = net.connect(Number(port), '127.0.0.1');
  socket.on('error', () => {});
  socket.write(
    `POST /convert?targetFormat=png HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: ${base}\r\nX-Requested-With: XMLHttpRequest\r\n` +
      'Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 100000000\r\n\r\n',
  );
  socket.write(Buffer.alloc(1024, 0x61));
  let text = '';
  const answer = new Promise<string>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (text.includes('\r\n\r\n')) resolve(text);
    });
    socket.on('close', () => resolve(text));
  });
  cleanups.push(async () => void socket.destroy());
  return { socket, answer };
}

/** Writes `text` one byte every `everyMs`, then (if `forever`) spaces for ever: a body that never stalls outright. */
function dribble(res: ServerResponse, text: string, everyMs: number, forever = true): void {
  let i = 0;
  const timer = setInterval(() => {
    if (i < text.length) res.write(text[i++]);
    else if (forever) res.write(' ');
    else {
      clearInterval(timer);
      res.end();
    }
  }, everyMs);
  res.on('close', () => clearInterval(timer));
}

describe('fault 1: stalled uploads do not freeze upstream traffic', () => {
  it('answers job status and the tracker while 70 uploads sit half-sent, and answers the stalled ones 408 or 429', async () => {
    const h = await proxy({ upstreamOptions: { uploadIdleMs: 2_000 } });
    h.fake.handle((req, res) => {
      if (req.method === 'POST') return; // reads the upload, never answers
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(statusBody(ID, 'Running', 30)));
    });
    const uploads = Array.from({ length: 70 }, () => stalledUpload(h.base));
    const answered = new Set<number>();
    uploads.forEach((u, i) => void u.answer.then((text) => text && answered.add(i)));
    // 64 was the one pool that proxy, tracker and uploads shared: at least that many are upstream or answered.
    await vi.waitFor(() => expect(h.fake.requests.filter((r) => r.method === 'POST').length + answered.size).toBeGreaterThanOrEqual(64), {
      timeout: 10_000,
    });

    const status = await Promise.race([
      rawRequest(h.base, `/convert/job/${ID}`),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('GET /convert/job/{id} got no answer in 5 s')), 5_000)),
    ]);
    expect(status.status).toBe(200);

    const t = tracker(h.upstream);
    t.tracker.track(ID, t.clock.now(), 0);
    await t.clock.advance(0, () => t.tracker.settled());
    await vi.waitFor(() => expect(t.statuses.map((s) => s.status)).toEqual(['Running']), { timeout: 5_000 });

    const heads = await Promise.all(uploads.map((u) => u.answer));
    const codes = heads.map((head) => /^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
    expect(codes.filter((c) => c === '408').length).toBeGreaterThan(0);
    expect(codes.every((c) => c === '408' || c === '429')).toBe(true);
    expect(heads.find((head) => head.startsWith('HTTP/1.1 429'))).toMatch(/retry-after: \d+/i);
  }, 30_000);

  it('answers a second browser upload 429 request.too_many_uploads once a client has its share running', async () => {
    const h = await proxy({ upstreamOptions: { uploadsPerClient: 1, uploadIdleMs: 60_000 } });
    h.fake.handle(answers.never());
    const first = stalledUpload(h.base);
    await vi.waitFor(() => expect(h.fake.requests).toHaveLength(1));
    const second = await rawRequest(h.base, '/convert?targetFormat=png', {
      method: 'POST',
      headers: { ...h.writeHeaders, 'content-type': 'multipart/form-data; boundary=x' },
      body: 'x',
    });
    expect(second.status).toBe(429);
    expect(second.headers['retry-after']).toBe('5');
    expect(second.json()).toMatchObject({ error: 'request.too_many_uploads' });
    first.socket.destroy();
  });

  it('answers a file added to a batch 408 in the envelope when its body stops arriving', async () => {
    const fake = await fakeUpstream();
    fake.handle(answers.never());
    const upstream = client(fake.url, { uploadIdleMs: 500 });
    const h = await startServiceHarness({ upstream });
    cleanups.push(() => h.close());
    const batch = (await h.app.inject({ method: 'POST', url: '/api/batches', headers: json, payload: { name: 'Stall' } })).json<{ batch: { id: string } }>();
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = h.app.server.address() as net.AddressInfo;
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    cleanups.push(async () => void socket.destroy());
    socket.write(
      `POST /api/batches/${batch.batch.id}/files?targetFormat=jpg&fileName=a.png HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
        'Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 100000\r\n\r\n--x\r\n',
    );
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
      socket.on('close', () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(answer).toContain('"error":"request.upload_stalled"');
  });
});

describe('fault 5: the key is redacted from every upstream body but a successful download', () => {
  it('redacts the key from a /download error body, with a Content-Length to match', async () => {
    const h = await proxy();
    h.fake.handle(answers.json(410, { error: 'jobs.expired', detail: `expired for ${TEST_KEY}` }));
    const response = await rawRequest(h.base, `/convert/job/${ID}/download`);
    expect(response.status).toBe(410);
    expect(response.text).not.toContain(TEST_KEY);
    expect(response.json()).toEqual({ error: 'jobs.expired', detail: 'expired for [redacted]' });
    expect(Number(response.headers['content-length'])).toBe(Buffer.byteLength(response.text));
  });

  it('redacts the key from a chunked body that splits it across chunks', async () => {
    const h = await proxy();
    const half = Math.floor(TEST_KEY.length / 2);
    h.fake.handle((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.write(`{"error":"not_found","detail":"no job for ${TEST_KEY.slice(0, half)}`);
      setTimeout(() => res.end(`${TEST_KEY.slice(half)} and ${TEST_KEY}"}`), 50);
    });
    const response = await rawRequest(h.base, `/convert/job/${ID}`, { method: 'DELETE', headers: h.writeHeaders });
    expect(response.status).toBe(404);
    expect(response.text).not.toContain(TEST_KEY);
    expect(response.json()).toEqual({ error: 'not_found', detail: 'no job for [redacted] and [redacted]' });
    expect(response.headers['content-length']).toBeUndefined();
  });

  it('redacts the key from a body over 64 KiB and drops the Content-Length the rewrite made wrong', async () => {
    const h = await proxy();
    const filler = 'x'.repeat(64 * 1024 - 10);
    const body = JSON.stringify({ conversions: [], note: `${filler}${TEST_KEY}${filler}${TEST_KEY}` });
    h.fake.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      // Split right inside the first key, at the 64 KiB mark.
      const at = body.indexOf(TEST_KEY) + 4;
      res.write(body.slice(0, at));
      setTimeout(() => res.end(body.slice(at)), 50);
    });
    const response = await rawRequest(h.base, '/convert/conversions');
    expect(response.status).toBe(200);
    expect(response.text).not.toContain(TEST_KEY);
    expect(response.json()).toEqual({ conversions: [], note: `${filler}[redacted]${filler}[redacted]` });
    expect(response.headers['content-length']).toBeUndefined();
  });

  it('finds the key split at every position and in one-byte chunks', () => {
    const key = Buffer.from(TEST_KEY);
    const text = Buffer.from(`a${TEST_KEY}b${TEST_KEY}${TEST_KEY}c${TEST_KEY.slice(0, 5)}`);
    const expected = `a[redacted]b[redacted][redacted]c${TEST_KEY.slice(0, 5)}`;
    for (let cut = 0; cut <= text.length; cut++) {
      const r = createRedactor(key);
      const out = Buffer.concat([r.push(text.subarray(0, cut)), r.push(text.subarray(cut)), r.end()]).toString();
      expect(out, `cut at ${cut}`).toBe(expected);
    }
    const r = createRedactor(key);
    const parts = [...text].map((byte) => r.push(Buffer.from([byte])));
    expect(Buffer.concat([...parts, r.end()]).toString()).toBe(expected);
  });
});

describe('what redaction leaves alone', () => {
  it('passes a successful download through byte for byte, key-like bytes included', async () => {
    const h = await proxy();
    const bytes = Buffer.from(`file bytes ${TEST_KEY} more`);
    h.fake.handle((_req, res) => void res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length }).end(bytes));
    const response = await rawRequest(h.base, `/convert/job/${ID}/download`);
    expect(response.text).toBe(bytes.toString());
    expect(response.headers['content-length']).toBe(String(bytes.length));
  });
});

describe('fault 6: upstream bodies that are not the contract shape', () => {
  const malformed: [string, string][] = [
    ['garbage JSON', '{"id": "x", "status": "Runn'],
    ['progress: null', JSON.stringify({ ...statusBody(ID, 'Running'), progress: null })],
    ['missing fields', JSON.stringify({ id: ID, status: 'Running' })],
  ];

  it.each(malformed)('answers a status of %s 502 upstream.bad_response and reports no status', async (_name, text) => {
    const events: JobActionEvent[] = [];
    const h = await proxy({ onJobAction: (event) => events.push(event) });
    h.fake.handle((_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end(text));
    const response = await rawRequest(h.base, `/convert/job/${ID}`);
    expect(response.status).toBe(502);
    expect(response.json()).toMatchObject({ error: 'upstream.bad_response', detail: expect.any(String) });
    expect(events).toEqual([]);
  });

  it.each(malformed)('records a status of %s as a problem of that job only, and the batch page still loads', async (_name, text) => {
    const h: ServiceHarness = await startServiceHarness();
    cleanups.push(() => h.close());
    const good = jobId(2);
    h.fake.handle((req, res) => {
      const body = req.url?.endsWith(good) ? JSON.stringify(statusBody(good, 'Running', 40)) : text;
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    const created = await h.app.inject({ method: 'POST', url: '/api/batches', headers: json, payload: { name: 'Mixed', ids: `${ID} ${good}` } });
    const batchId = created.json<{ batch: { id: string } }>().batch.id;
    await h.advance(5_000);
    const snap = await h.app.inject({ method: 'GET', url: `/api/batches/${batchId}` });
    expect(snap.statusCode).toBe(200);
    const snapshot = compactSnapshot(snap.json<BatchSnapshot>());
    const bad = snapshot.jobs.job(snapshot.jobs.indexOf(ID));
    expect(bad.problem).toMatchObject({ error: 'upstream.bad_response', status: 200 });
    expect(bad.last).toBeNull();
    expect(snapshot.jobs.job(snapshot.jobs.indexOf(good))).toMatchObject({ state: 'Running', last: { progress: { percent: 40 } } });
  });

  it('keeps a batch page loading with a job stored before bodies were checked (progress: null), and observe ignores one', async () => {
    const h: ServiceHarness = await startServiceHarness();
    cleanups.push(() => h.close());
    const created = await h.app.inject({ method: 'POST', url: '/api/batches', headers: json, payload: { name: 'Old', ids: `${ID} ${jobId(3)}` } });
    const batchId = created.json<{ batch: { id: string } }>().batch.id;
    // What an older server stored: the status body as it came.
    h.service.store.recordStatus(ID, { ...statusBody(ID, 'Running', 20), progress: null } as unknown as JobStatusResponse, 1, 1);
    h.service.observe({ jobId: jobId(3), action: 'status', statusCode: 200, body: { id: jobId(3), status: 'Running', progress: null } });
    const snap = await h.app.inject({ method: 'GET', url: `/api/batches/${batchId}` });
    expect(snap.statusCode).toBe(200);
    const snapshot = compactSnapshot(snap.json<BatchSnapshot>());
    expect(snapshot.jobs.job(snapshot.jobs.indexOf(ID))).toMatchObject({ state: 'Running', last: { progress: { phase: null } } });
    expect(snapshot.jobs.job(snapshot.jobs.indexOf(jobId(3)))).toMatchObject({ state: 'Unknown', last: null });
  });
});

describe('fault 7: an upstream that dribbles its answer is cut off after the idle limit', () => {
  const idle = { upstreamOptions: { bodyIdleMs: 1_000 } };

  it('answers a status that arrives a byte at a time 504 upstream.timeout', async () => {
    const h = await proxy(idle);
    h.fake.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      dribble(res, JSON.stringify(statusBody(ID, 'Running')), 100);
    });
    const response = await rawRequest(h.base, `/convert/job/${ID}`);
    expect(response.status).toBe(504);
    expect(response.json()).toMatchObject({ error: 'upstream.timeout' });
    await vi.waitFor(() => expect(h.fake.requests[0].aborted).toBe(true));
  });

  it('aborts a download whose bytes dribble once its headers are out', async () => {
    const h = await proxy(idle);
    h.fake.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': 100_000 });
      dribble(res, 'x', 100);
    });
    await expect(rawRequest(h.base, `/convert/job/${ID}/download`)).rejects.toThrow(/aborted|socket hang up|ECONNRESET/);
  });

  it('frees the tracker with the upstream reported unreachable instead of a request held for ever', async () => {
    const fake = await fakeUpstream();
    fake.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      dribble(res, JSON.stringify(statusBody(ID, 'Running')), 100);
    });
    const t = tracker(client(fake.url, { bodyIdleMs: 1_000 }));
    t.tracker.track(ID, t.clock.now(), 0);
    await t.clock.advance(0);
    await vi.waitFor(() => expect(t.tracker.health()).toMatchObject({ state: 'unreachable', error: { detail: expect.stringContaining('stalled') } }), {
      timeout: 10_000,
    });
    expect(t.statuses).toEqual([]);
  });

  it("marks a spooled file In doubt when the upstream's accepted answer dribbles, never sending it again", async () => {
    const fake = await fakeUpstream();
    fake.handle((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(202, { 'content-type': 'application/json' });
        dribble(res, JSON.stringify({ id: ID, status: 'Queued', creditCost: 1 }), 100);
      });
    });
    const h = await startServiceHarness({ upstream: client(fake.url, { bodyIdleMs: 1_000 }) });
    cleanups.push(() => h.close());
    const batch = (await h.app.inject({ method: 'POST', url: '/api/batches', headers: json, payload: { name: 'Slow' } })).json<{ batch: { id: string } }>();
    const form = new FormData();
    form.append('file', new Blob([Buffer.from('png bytes')]), 'a.png');
    const request = new Request('http://x/', { method: 'POST', body: form });
    const res = await h.app.inject({
      method: 'POST',
      url: `/api/batches/${batch.batch.id}/files?targetFormat=jpg&fileName=a.png`,
      headers: { 'content-type': request.headers.get('content-type')! },
      payload: Buffer.from(await request.arrayBuffer()),
    });
    // Spooled: answered before any upstream call; the feeder's send is what meets the dribble.
    expect(res.statusCode).toBe(202);
    const read = async () => (await h.app.inject({ method: 'GET', url: `/api/batches/${batch.batch.id}` })).json<BatchSnapshot>();
    await vi.waitFor(async () => expect((await read()).jobs[0].state).toBe('InDoubt'), { timeout: 10_000 });
    expect(fake.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });
});
