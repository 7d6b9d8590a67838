import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { JobStatusResponse } from '../../contract/job.ts';
import { buildConvertApi, type ConvertApi } from '../app.ts';
import { ConversionError, type Converter, type ConvertContext } from '../converters/types.ts';
import type { Clock, ConvertApiOptions } from '../options.ts';

export const KEY_A = 'key-a';
export const KEY_B = 'key-b';

export async function tempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'convert-api-test-'));
}

/** A clock the test moves by hand. */
export class ManualClock implements Clock {
  constructor(private ms = Date.UTC(2026, 10, 29, 12)) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** Jobs whose input says `hold` run until the test releases them (or they are aborted). */
export class Holds {
  private waiting: { release: () => void; signal: AbortSignal }[] = [];
  aborted = 0;
  get count(): number {
    return this.waiting.length;
  }
  async wait(ctx: ConvertContext): Promise<void> {
    ctx.onProgress(40);
    await new Promise<void>((resolve, reject) => {
      if (ctx.signal.aborted) {
        this.aborted++;
        reject(ctx.signal.reason);
        return;
      }
      const entry = { release: resolve, signal: ctx.signal };
      this.waiting.push(entry);
      ctx.signal.addEventListener('abort', () => {
        this.aborted++;
        this.waiting = this.waiting.filter((w) => w !== entry);
        reject(ctx.signal.reason);
      });
    });
  }
  releaseAll(): void {
    const all = this.waiting;
    this.waiting = [];
    for (const w of all) w.release();
  }
}

/**
 * A test converter `txt → out` whose behaviour is chosen by the input text: `fail` (bad input), `crash`
 * (a bug), `hold` (waits for the test), `pages:N` (N outputs), anything else is copied.
 */
export function fakeConverters(holds = new Holds()): Converter[] {
  const run = async (ctx: ConvertContext) => {
    const text = (await fs.readFile(ctx.inputPath, 'utf8')).trim();
    if (text === 'fail') throw new ConversionError('convert.invalid_input', 'This is not a valid text file.');
    if (text === 'crash') throw new Error('converter bug');
    if (text === 'hold') await holds.wait(ctx);
    const pages = /^pages:(\d+)$/.exec(text);
    const count = pages ? Number(pages[1]) : 1;
    const files: string[] = [];
    for (let n = 1; n <= count; n++) {
      const file = path.join(ctx.outputDir, `page-${n}.out`);
      await fs.writeFile(file, `${text} #${n}`);
      files.push(file);
      ctx.onProgress((n / count) * 100);
    }
    return { files };
  };
  return [
    {
      id: 'test.txt-to-out', category: 'Test', sourceFormats: ['txt', 'text'], targetFormat: 'out', outputExtension: 'out',
      contentType: 'text/plain', creditCost: 2, optionNames: ['level'],
      validateOptions: (o) => (o.level === undefined || typeof o.level === 'number' ? null : 'level must be a number.'),
      run,
    },
    {
      id: 'test.txt-to-md', category: 'Test', sourceFormats: ['txt'], targetFormat: 'md', outputExtension: 'md',
      contentType: 'text/markdown', creditCost: 1, optionNames: [], run,
    },
  ];
}

export interface TestApi extends ConvertApi {
  dataDir: string;
  holds: Holds;
  clock: Clock;
}

export async function startApi(options: Partial<ConvertApiOptions> & { holds?: Holds } = {}): Promise<TestApi> {
  const dataDir = options.dataDir ?? (await tempDir());
  const holds = options.holds ?? new Holds();
  const clock = options.clock ?? { now: () => Date.now() };
  const api = await buildConvertApi({
    keys: new Map([[KEY_A, 'account-a'], [KEY_B, 'account-b']]),
    converters: fakeConverters(holds),
    // Tests poll in loops: the status rate limit is tested on its own.
    pollBurst: 1_000_000,
    workers: 4,
    ...options,
    dataDir,
    clock,
  });
  return { ...api, dataDir, holds, clock };
}

export async function stopApi(api: TestApi): Promise<void> {
  api.holds.releaseAll();
  await api.close();
  await fs.rm(api.dataDir, { recursive: true, force: true });
}

export interface Part {
  name: string;
  value: string | Buffer;
  fileName?: string;
  contentType?: string;
}

/** A multipart/form-data body built by hand, so tests can also send broken ones. */
export function multipart(parts: Part[], boundary = 'test-boundary-7MA4YWxkTrZu0gW') {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`;
    if (part.fileName !== undefined) head += `; filename="${part.fileName}"`;
    head += '\r\n';
    if (part.fileName !== undefined) head += `Content-Type: ${part.contentType ?? 'application/octet-stream'}\r\n`;
    chunks.push(Buffer.from(`${head}\r\n`), Buffer.from(part.value), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

export function fileForm(fileName: string, content: string | Buffer, targetFormat?: string, extra: Part[] = []) {
  const parts: Part[] = [{ name: 'file', value: content, fileName }];
  if (targetFormat !== undefined) parts.push({ name: 'targetFormat', value: targetFormat });
  return multipart([...parts, ...extra]);
}

export async function submit(api: ConvertApi, fileName: string, content: string | Buffer, targetFormat = 'out', key = KEY_A, extra: Part[] = []) {
  const { payload, headers } = fileForm(fileName, content, targetFormat, extra);
  return api.app.inject({ method: 'POST', url: '/convert', payload, headers: { ...headers, 'x-fast-api-key': key } });
}

export async function submitOk(api: ConvertApi, content: string, fileName = 'notes.txt', key = KEY_A): Promise<string> {
  const res = await submit(api, fileName, content, 'out', key);
  if (res.statusCode !== 202) throw new Error(`submit failed: ${res.statusCode} ${res.body}`);
  return res.json().id as string;
}

export async function getStatus(api: ConvertApi, id: string, key = KEY_A) {
  return api.app.inject({ method: 'GET', url: `/convert/job/${id}`, headers: { 'x-fast-api-key': key } });
}

/** Polls a condition in a bounded loop (no fixed sleeps). */
export async function waitFor<T>(probe: () => Promise<T> | T, timeoutMs = 10_000): Promise<Exclude<T, null | undefined | false>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as Exclude<T, null | undefined | false>;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Waits until `count` converters are inside a hold (their progress report of 40% is then in). */
export async function waitForHolds(api: TestApi, count: number): Promise<void> {
  await waitFor(() => api.holds.count >= count);
}

export async function waitForStatus(api: ConvertApi, id: string, status: string, key = KEY_A): Promise<JobStatusResponse> {
  return waitFor(async () => {
    const body = (await getStatus(api, id, key)).json<JobStatusResponse>();
    return body.status === status ? body : null;
  });
}
