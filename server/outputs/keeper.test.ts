// @vitest-environment node
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BatchSnapshot } from '../../contract/dashboard-api.ts';
import { buildServer } from '../app.ts';
import { createBatchService, type BatchService } from '../batches/service.ts';
import { startFakeUpstream, type FakeUpstream } from '../testing/fake-upstream.ts';
import { unzip, zipChecksums } from '../testing/unzip.ts';
import { jobId, statusBody } from '../tracker/test-fixtures.ts';
import { createUpstreamClient, type UpstreamClient } from '../upstream.ts';

/** Deterministic bytes of a given length, different per seed. */
function bytesOf(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed * 7) & 0xff;
  return out;
}

interface Output {
  bytes: Buffer;
  /** What the download answers: the bytes, 410 (expired upstream), or a body of another length. */
  download: 'ok' | 410 | 'short';
}

interface Stack {
  dir: string;
  fake: FakeUpstream;
  upstream: UpstreamClient;
  service: BatchService;
  app: FastifyInstance;
  base: string;
  outputs: Map<string, Output>;
  succeed(id: string): void;
  snapshot(batchId: string): Promise<BatchSnapshot>;
  restart(options?: { maxBytes?: number }): Promise<void>;
  close(): Promise<void>;
}

const stacks: Stack[] = [];
afterEach(async () => {
  await Promise.all(stacks.splice(0).map((s) => s.close()));
});

const write = { origin: '', 'x-requested-with': 'test', 'content-type': 'application/json' };

async function startStack(options: { maxBytes?: number; dir?: string; outputs?: Map<string, Output> } = {}): Promise<Stack> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'keeper-')));
  const outputs = options.outputs ?? new Map<string, Output>();
  const fake = await startFakeUpstream();
  fake.handle((req, res) => {
    const match = /^\/convert\/job\/([0-9a-f]{32})(\/download)?$/.exec(req.url ?? '');
    const output = match ? outputs.get(match[1]) : undefined;
    if (!match || !output) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"jobs.not_found","detail":null}');
    if (req.method === 'DELETE') return void res.writeHead(204).end();
    if (!match[2]) return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(statusOf(match[1], output)));
    if (output.download === 410) return void res.writeHead(410, { 'content-type': 'application/json' }).end('{"error":"jobs.expired","detail":null}');
    const body = output.download === 'short' ? output.bytes.subarray(0, output.bytes.length - 1) : output.bytes;
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': body.length, 'content-disposition': `attachment; filename="photo-${match[1].slice(-2)}.jpg"` });
    res.end(body);
  });
  const upstream = createUpstreamClient({ base: fake.url, apiKey: 'test-key' });
  const stack = { dir, fake, upstream, outputs } as Stack;
  async function build(maxBytes = options.maxBytes) {
    const service = createBatchService({
      dataDir: join(dir, 'data'),
      upstream,
      retentionSeconds: 3600,
      samplesDir: dir,
      keepOutputs: { maxBytes: maxBytes ?? 1024 ** 3, keepDays: 7 },
    });
    const app = await buildServer({ upstream, allowedHosts: [], api: service.plugin, keptOutputs: service.keeper, onJobAction: (e) => service.observe(e) });
    await app.listen({ host: '127.0.0.1', port: 0 });
    service.start();
    Object.assign(stack, { service, app, base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` });
  }
  await build();
  stack.succeed = (id) => stack.service.observe({ jobId: id, action: 'status', statusCode: 200, body: statusOf(id, outputs.get(id)!) });
  stack.snapshot = async (batchId) => (await (await fetch(`${stack.base}/api/batches/${batchId}`)).json()) as BatchSnapshot;
  stack.restart = async (o = {}) => {
    await stack.app.close();
    await stack.service.close();
    await build(o.maxBytes);
  };
  stack.close = async () => {
    // The test is over: connections still open (fetch's keep-alive, a download the keeper has in flight) go too.
    stack.app.server.closeAllConnections();
    await stack.app.close().catch(() => {});
    await stack.service.close().catch(() => {});
    await upstream.close();
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  };
  stacks.push(stack);
  return stack;
}

function statusOf(id: string, output: Output) {
  const body = statusBody(id, 'Succeeded');
  return { ...body, metrics: { ...body.metrics, outputBytes: output.bytes.length } };
}

async function createBatch(s: Stack, ids: string[], name = 'Photos'): Promise<string> {
  const res = await fetch(`${s.base}/api/batches`, {
    method: 'POST',
    headers: { ...write, origin: s.base },
    body: JSON.stringify({ name, ids: ids.join('\n') }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { batch: { id: string } }).batch.id;
}

async function kept(s: Stack, batchId: string, id: string) {
  return (await s.snapshot(batchId)).jobs.find((j) => j.id === id)!;
}

const outputsDir = (s: Stack) => join(s.dir, 'data', 'outputs');

describe('kept outputs', () => {
  it('keeps an output as soon as its job is seen Succeeded, whole and under its job id, with no partial file left', async () => {
    const s = await startStack();
    const id = jobId(1);
    s.outputs.set(id, { bytes: bytesOf(300_000, 1), download: 'ok' });
    const batchId = await createBatch(s, [id]);
    s.succeed(id);
    await vi.waitFor(async () => expect((await kept(s, batchId, id)).kept).not.toBeNull(), { timeout: 20_000, interval: 50 });
    expect(await readFile(join(outputsDir(s), id))).toEqual(s.outputs.get(id)!.bytes);
    expect(await readdir(outputsDir(s))).toEqual([id]);
    expect((await kept(s, batchId, id)).kept?.bytes).toBe(300_000);
  });

  it('serves the kept copy with the upstream\'s name, type and download headers after the upstream answers 410', async () => {
    const s = await startStack();
    const id = jobId(2);
    const output: Output = { bytes: bytesOf(70_000, 2), download: 'ok' };
    s.outputs.set(id, output);
    const batchId = await createBatch(s, [id]);
    const before = await fetch(`${s.base}/convert/job/${id}/download`);
    const upstreamHeaders = Object.fromEntries(before.headers);
    await before.arrayBuffer();
    s.succeed(id);
    await vi.waitFor(async () => expect((await kept(s, batchId, id)).kept).not.toBeNull(), { timeout: 20_000, interval: 50 });

    output.download = 410;
    const res = await fetch(`${s.base}/convert/job/${id}/download`);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(output.bytes);
    const headers = Object.fromEntries(res.headers);
    for (const name of ['content-type', 'content-length', 'content-disposition', 'content-security-policy', 'x-content-type-options', 'cache-control']) {
      expect(headers[name], name).toBe(upstreamHeaders[name]);
    }
    const job = await kept(s, batchId, id);
    expect(job.outputExpired).toBe(true);
    expect(job.downloadedAt).not.toBeNull();
  });

  it('does not keep a body whose size is not the one the status announced', async () => {
    const s = await startStack();
    const id = jobId(3);
    s.outputs.set(id, { bytes: bytesOf(5_000, 3), download: 'short' });
    const batchId = await createBatch(s, [id]);
    s.succeed(id);
    await s.service.keeper.settled();
    expect(await readdir(outputsDir(s))).toEqual([]);
    expect((await kept(s, batchId, id)).kept).toBeNull();
  });

  it('keeps nothing past the disk budget, and the batch says how many were not kept and how much space is used', async () => {
    const s = await startStack({ maxBytes: 150_000 });
    const [a, b] = [jobId(4), jobId(5)];
    s.outputs.set(a, { bytes: bytesOf(100_000, 4), download: 'ok' });
    s.outputs.set(b, { bytes: bytesOf(100_000, 5), download: 'ok' });
    const batchId = await createBatch(s, [a, b]);
    s.succeed(a);
    await vi.waitFor(async () => expect((await kept(s, batchId, a)).kept).not.toBeNull(), { timeout: 20_000, interval: 50 });
    s.succeed(b);
    await vi.waitFor(async () => expect((await kept(s, batchId, b)).keepProblem).toBe('disk_full'), { timeout: 20_000, interval: 50 });
    const snap = await s.snapshot(batchId);
    expect(snap.outputs).toMatchObject({ keep: true, skippedForSpace: 1, usedBytes: 100_000, limitBytes: 150_000 });
    expect(await readdir(outputsDir(s))).toEqual([a]);
  });

  it('deletes the kept outputs of a deleted batch, and keeps no copy of a job deleted through the dashboard', async () => {
    const s = await startStack();
    const [a, b] = [jobId(6), jobId(7)];
    s.outputs.set(a, { bytes: bytesOf(1000, 6), download: 'ok' });
    s.outputs.set(b, { bytes: bytesOf(1000, 7), download: 'ok' });
    const first = await createBatch(s, [a], 'First');
    const second = await createBatch(s, [b], 'Second');
    s.succeed(a);
    s.succeed(b);
    await vi.waitFor(async () => expect((await readdir(outputsDir(s))).sort()).toEqual([a, b].sort()), { timeout: 20_000, interval: 50 });
    await vi.waitFor(async () => expect((await kept(s, second, b)).kept).not.toBeNull(), { timeout: 20_000, interval: 50 });

    const del = await fetch(`${s.base}/api/batches/${first}`, { method: 'DELETE', headers: { origin: s.base, 'x-requested-with': 'test' } });
    expect(del.status).toBe(204);
    await vi.waitFor(async () => expect(await readdir(outputsDir(s))).toEqual([b]), { timeout: 20_000, interval: 50 });

    const gone = await fetch(`${s.base}/convert/job/${b}`, { method: 'DELETE', headers: { origin: s.base, 'x-requested-with': 'test' } });
    expect(gone.status).toBe(204);
    await vi.waitFor(async () => expect(await readdir(outputsDir(s))).toEqual([]), { timeout: 20_000, interval: 50 });
    expect((await kept(s, second, b)).kept).toBeNull();
  });

  it('turning a batch\'s switch off keeps nothing new; turning it on keeps what the upstream still has', async () => {
    const s = await startStack();
    const id = jobId(8);
    s.outputs.set(id, { bytes: bytesOf(2000, 8), download: 'ok' });
    const batchId = await createBatch(s, [id]);
    const off = await fetch(`${s.base}/api/batches/${batchId}/keep-outputs`, { method: 'PUT', headers: { ...write, origin: s.base }, body: '{"keep":false}' });
    expect(((await off.json()) as { keep: boolean }).keep).toBe(false);
    s.succeed(id);
    await s.service.keeper.settled();
    expect(await readdir(outputsDir(s))).toEqual([]);
    await fetch(`${s.base}/api/batches/${batchId}/keep-outputs`, { method: 'PUT', headers: { ...write, origin: s.base }, body: '{"keep":true}' });
    await vi.waitFor(async () => expect((await kept(s, batchId, id)).kept).not.toBeNull(), { timeout: 20_000, interval: 50 });
  });
});

describe('kept outputs across a crash', () => {
  it('a kill -9 while keeping leaves no copy on record, and the output is fetched again after the restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'keeper-crash-'));
    const id = jobId(9);
    const bytes = bytesOf(1_000_000, 9);
    const upstream = await startFakeUpstream();
    // Half the body, then nothing: the child is killed while it writes the partial file.
    upstream.handle((req, res) => {
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': bytes.length });
      res.write(bytes.subarray(0, 500_000));
    });
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/outputs/testing/keeper-child.ts'], {
      env: { ...process.env, UPSTREAM_URL: upstream.url, DATA_DIR: join(dir, 'data'), JOB_ID: id, OUTPUT_BYTES: String(bytes.length) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const partial = async () => (await readdir(join(dir, 'data', 'outputs')).catch(() => [] as string[])).find((n) => n.endsWith('.part'));
      await vi.waitFor(async () => {
        const name = await partial();
        expect(name).toBeDefined();
        expect((await stat(join(dir, 'data', 'outputs', name!))).size).toBe(500_000);
      }, { timeout: 100_000, interval: 100 });
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    } finally {
      child.kill('SIGKILL');
      await upstream.close();
    }

    const s = await startStack({ dir, outputs: new Map([[id, { bytes, download: 'ok' }]]) });
    const batchId = (await (await fetch(`${s.base}/api/batches`)).json() as { batches: { id: string }[] }).batches[0].id;
    await vi.waitFor(async () => expect((await kept(s, batchId, id)).kept).not.toBeNull(), { timeout: 30_000, interval: 100 });
    expect(await readdir(outputsDir(s))).toEqual([id]);
    s.outputs.get(id)!.download = 410;
    const res = await fetch(`${s.base}/convert/job/${id}/download`);
    expect(createHash('sha256').update(Buffer.from(await res.arrayBuffer())).digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
  }, 180_000);
});

describe('download all', () => {
  it('streams one ZIP of kept copies and upstream outputs with unique names, and a manifest that says why a job is missing', async () => {
    const s = await startStack();
    const [a, b, c] = [jobId(10), jobId(11), jobId(12)];
    s.outputs.set(a, { bytes: bytesOf(4000, 10), download: 'ok' });
    s.outputs.set(b, { bytes: bytesOf(5000, 11), download: 'ok' });
    s.outputs.set(c, { bytes: bytesOf(6000, 12), download: 'ok' });
    const batchId = await createBatch(s, [a, b, c]);
    await fetch(`${s.base}/api/batches/${batchId}/keep-outputs`, { method: 'PUT', headers: { ...write, origin: s.base }, body: '{"keep":false}' });
    s.succeed(a);
    s.succeed(b);
    s.succeed(c);
    // c expired upstream before anyone kept it.
    s.outputs.get(c)!.download = 410;
    await fetch(`${s.base}/convert/job/${c}/download`).then((r) => r.arrayBuffer());

    const res = await fetch(`${s.base}/api/batches/${batchId}/outputs.zip`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment;/);
    const entries = await unzip(Buffer.from(await res.arrayBuffer()));
    // Both outputs are named a.jpg upstream (the status's fileName).
    expect([...entries.keys()]).toEqual(['a.jpg', 'a (2).jpg', 'manifest.csv']);
    expect(entries.get('a.jpg')).toEqual(s.outputs.get(a)!.bytes);
    expect(entries.get('a (2).jpg')).toEqual(s.outputs.get(b)!.bytes);
    const manifest = entries.get('manifest.csv')!.toString('utf8').trim().split('\r\n');
    expect(manifest[0]).toBe('job_id,source_file,target,status,output_name,size,missing_reason');
    expect(manifest[1]).toBe(`${a},,,Succeeded,a.jpg,4000,`);
    expect(manifest[3]).toBe(`${c},,,Expired,,,expired: deleted by the Convert API before it was kept`);
  });

  it('writes each entry\'s checksum as that of its bytes, for an output that arrives in many chunks', async () => {
    const s = await startStack();
    const a = jobId(13);
    s.outputs.set(a, { bytes: bytesOf(3 * 1024 * 1024 + 17, 13), download: 'ok' });
    const batchId = await createBatch(s, [a]);
    await fetch(`${s.base}/api/batches/${batchId}/keep-outputs`, { method: 'PUT', headers: { ...write, origin: s.base }, body: '{"keep":false}' });
    s.succeed(a);

    const res = await fetch(`${s.base}/api/batches/${batchId}/outputs.zip`);
    const checksums = await zipChecksums(Buffer.from(await res.arrayBuffer()));
    expect(checksums.get('a.jpg')).toBe(crc32(s.outputs.get(a)!.bytes));
  });
});
