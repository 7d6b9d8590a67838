// @vitest-environment node
/**
 * 1 GiB each way through the proxy, running in its own process so its memory can be read from /proc:
 * the peak resident set may grow by less than 64 MiB over the idle (warmed-up) process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import readline from 'node:readline';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answers, startFakeUpstream, type FakeUpstream } from './testing/fake-upstream.ts';
import { TEST_KEY } from './testing/proxy-harness.ts';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const ID = '0190a5b4c3d27e8f9a0b1c2d3e4f5a6b';

let fake: FakeUpstream;
let child: ChildProcess;
let base: string;

function statusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) : NaN;
}

/** Peak RSS while `run` executes: the kernel's high-water mark (reset first), or sampling where that is not allowed. */
async function peakRssDuring(pid: number, run: () => Promise<void>): Promise<{ idle: number; peak: number }> {
  let canReset = true;
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    canReset = false;
  }
  const idle = statusKiB(pid, 'VmRSS') * 1024;
  let sampled = idle;
  const timer = setInterval(() => {
    sampled = Math.max(sampled, statusKiB(pid, 'VmRSS') * 1024);
  }, 20);
  try {
    await run();
  } finally {
    clearInterval(timer);
  }
  const peak = Math.max(sampled, canReset ? statusKiB(pid, 'VmHWM') * 1024 : 0);
  return { idle, peak };
}

function download(path: string): Promise<{ status: number; bytes: number; disposition: string | undefined }> {
  return new Promise((resolve, reject) => {
    http
      .get(`${base}${path}`, (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => (bytes += chunk.length));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, disposition: res.headers['content-disposition'] }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

function generated(bytes: number): Readable {
  const chunk = Buffer.alloc(64 * 1024, 0x63);
  let left = bytes;
  return new Readable({
    read() {
      if (left <= 0) return void this.push(null);
      const n = Math.min(left, chunk.length);
      left -= n;
      this.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    },
  });
}

function upload(bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}/convert?targetFormat=png`, {
      method: 'POST',
      headers: {
        origin: base,
        'x-requested-with': 'test',
        'content-type': 'multipart/form-data; boundary=x',
        'content-length': String(bytes),
      },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    generated(bytes).pipe(req);
  });
}

beforeAll(async () => {
  fake = await startFakeUpstream();
  child = spawn(process.execPath, ['--import', 'tsx', 'server/testing/proxy-child.ts'], {
    env: { ...process.env, UPSTREAM_URL: fake.url, UPSTREAM_KEY: TEST_KEY },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  base = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`proxy child exited with ${code}`)));
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match) resolve(match[1]);
    });
  });
  // Warm up: the first requests allocate buffers and compile code that are not per-stream growth.
  fake.handle(answers.huge(32 * MiB, { 'content-disposition': 'attachment; filename="warm.bin"' }));
  await download(`/convert/job/${ID}/download`);
  fake.handle(answers.json(202, { id: ID, status: 'Queued', creditCost: 1 }));
  await upload(32 * MiB);
}, 60_000);

afterAll(async () => {
  child?.kill('SIGTERM');
  await fake?.close();
});

describe('streaming 1 GiB through the proxy', () => {
  it('downloads 1 GiB with the proxy growing by less than 64 MiB', async () => {
    fake.handle(answers.huge(GiB, { 'content-disposition': 'attachment; filename="big.bin"' }));
    let result: Awaited<ReturnType<typeof download>> | undefined;
    const { idle, peak } = await peakRssDuring(child.pid!, async () => {
      result = await download(`/convert/job/${ID}/download`);
    });
    expect(result).toEqual({ status: 200, bytes: GiB, disposition: 'attachment; filename="big.bin"' });
    expect((peak - idle) / MiB, `idle ${idle / MiB} MiB, peak ${peak / MiB} MiB`).toBeLessThan(64);
  }, 120_000);

  it('uploads 1 GiB with the proxy growing by less than 64 MiB and the upstream receiving every byte', async () => {
    fake.handle(answers.json(202, { id: ID, status: 'Queued', creditCost: 1 }));
    const received = fake.nextRequest();
    let status = 0;
    const { idle, peak } = await peakRssDuring(child.pid!, async () => {
      status = await upload(GiB);
    });
    expect(status).toBe(202);
    expect((await received).bodyBytes).toBe(GiB);
    expect((peak - idle) / MiB, `idle ${idle / MiB} MiB, peak ${peak / MiB} MiB`).toBeLessThan(64);
  }, 120_000);
});
