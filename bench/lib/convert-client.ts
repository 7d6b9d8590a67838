/**
 * A well-behaved Convert API client for benchmarks: stays within the account's active-job limit, waits
 * `Retry-After` on every 429 (submission and status), polls each job at a fixed interval, streams downloads.
 */
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { Agent, request } from 'undici';
import { fileMultipart } from './multipart.ts';
import { delay } from './proc.ts';

export interface ClientOptions {
  base: string;
  key: string;
  /** Status poll interval per job. */
  pollMs?: number;
  /** Give up on one job after this long (bounds every loop). */
  jobTimeoutMs?: number;
}

export interface JobOutcome {
  file: string;
  id: string;
  status: string;
  polls: number;
  rateLimited: number;
  queueLimited: number;
  outputBytes: number;
  error?: unknown;
}

const agent = new Agent({ connections: 64, keepAliveTimeout: 30_000, headersTimeout: 600_000, bodyTimeout: 600_000 });

function retryAfterMs(headers: Record<string, string | string[] | undefined>): number {
  const raw = headers['retry-after'];
  const n = Number(Array.isArray(raw) ? raw[0] : raw);
  return Number.isFinite(n) && n > 0 ? n * 1000 : 1000;
}

export class ConvertClient {
  readonly base: string;
  readonly key: string;
  readonly pollMs: number;
  readonly jobTimeoutMs: number;

  constructor(options: ClientOptions) {
    this.base = options.base.replace(/\/$/, '');
    this.key = options.key;
    this.pollMs = options.pollMs ?? 200;
    this.jobTimeoutMs = options.jobTimeoutMs ?? 20 * 60_000;
  }

  async conversions(): Promise<Array<{ id: string; sourceFormats: string[]; targetFormat: string; maxFileBytes?: number }>> {
    const res = await request(`${this.base}/convert/conversions`, { headers: { 'x-fast-api-key': this.key }, dispatcher: agent });
    const body = (await res.body.json()) as { conversions?: Array<{ id: string; sourceFormats: string[]; targetFormat: string; maxFileBytes?: number }> };
    if (res.statusCode !== 200) throw new Error(`GET /convert/conversions → ${res.statusCode} ${JSON.stringify(body)}`);
    return body.conversions ?? [];
  }

  /** Submits one file; waits and retries only on `429 queue.limit_exceeded` (the job was not created). */
  async submit(file: string, targetFormat: string, deadline: number): Promise<{ id: string; queueLimited: number }> {
    let queueLimited = 0;
    while (Date.now() < deadline) {
      const form = fileMultipart(file, { targetFormat });
      const res = await request(`${this.base}/convert`, {
        method: 'POST',
        headers: { ...form.headers, 'x-fast-api-key': this.key },
        body: form.body,
        dispatcher: agent,
      });
      const text = await res.body.text();
      if (res.statusCode === 202) return { id: (JSON.parse(text) as { id: string }).id, queueLimited };
      if (res.statusCode === 429) {
        queueLimited++;
        await delay(retryAfterMs(res.headers));
        continue;
      }
      throw new Error(`POST /convert ${file} → ${res.statusCode} ${text.slice(0, 500)}`);
    }
    throw new Error(`POST /convert ${file}: still refused at the deadline`);
  }

  /** Polls until terminal; 429 `rate_limited` → waits its Retry-After. */
  async waitTerminal(id: string, deadline: number): Promise<{ status: string; body: unknown; polls: number; rateLimited: number }> {
    let polls = 0;
    let rateLimited = 0;
    while (Date.now() < deadline) {
      await delay(this.pollMs);
      const res = await request(`${this.base}/convert/job/${id}`, { headers: { 'x-fast-api-key': this.key }, dispatcher: agent });
      polls++;
      const body = (await res.body.json()) as { status?: string };
      if (res.statusCode === 429) {
        rateLimited++;
        await delay(retryAfterMs(res.headers));
        continue;
      }
      if (res.statusCode !== 200) throw new Error(`GET /convert/job/${id} → ${res.statusCode} ${JSON.stringify(body)}`);
      if (body.status === 'Succeeded' || body.status === 'Failed' || body.status === 'Canceled') {
        return { status: body.status, body, polls, rateLimited };
      }
    }
    throw new Error(`job ${id} not terminal at the deadline`);
  }

  /** Streams the output to `dest` (a path) or discards it; returns its size. */
  async download(id: string, dest: string | null): Promise<number> {
    const res = await request(`${this.base}/convert/job/${id}/download`, { headers: { 'x-fast-api-key': this.key }, dispatcher: agent });
    if (res.statusCode !== 200) throw new Error(`download ${id} → ${res.statusCode} ${(await res.body.text()).slice(0, 300)}`);
    let bytes = 0;
    const counter = new Writable({
      write(chunk: Buffer, _enc, cb) {
        bytes += chunk.length;
        cb();
      },
    });
    if (dest) {
      const out = createWriteStream(dest);
      res.body.on('data', (c: Buffer) => { bytes += c.length; });
      await pipeline(res.body, out);
    } else {
      await pipeline(res.body, counter);
    }
    return bytes;
  }

  /** Submit → poll → download for one file. */
  async convertOne(file: string, targetFormat: string, dest: string | null): Promise<JobOutcome> {
    const deadline = Date.now() + this.jobTimeoutMs;
    const { id, queueLimited } = await this.submit(file, targetFormat, deadline);
    const done = await this.waitTerminal(id, deadline);
    const outcome: JobOutcome = { file, id, status: done.status, polls: done.polls, rateLimited: done.rateLimited, queueLimited, outputBytes: 0 };
    if (done.status === 'Succeeded') outcome.outputBytes = await this.download(id, dest);
    else outcome.error = (done.body as { error?: unknown }).error;
    return outcome;
  }

  /**
   * Converts every file with at most `lanes` jobs active at once (each lane submits its next file only after
   * its job finished), so the account limit (18 queued+running) is respected without provoking 429s.
   */
  async convertAll(files: string[], targetFormat: string, lanes: number, destFor: (file: string) => string | null): Promise<JobOutcome[]> {
    const outcomes: JobOutcome[] = [];
    let next = 0;
    const lane = async () => {
      while (next < files.length) {
        const file = files[next++];
        outcomes.push(await this.convertOne(file, targetFormat, destFor(file)));
      }
    };
    await Promise.all(Array.from({ length: Math.min(lanes, files.length) }, lane));
    return outcomes;
  }
}

export async function closeClientAgent(): Promise<void> {
  await agent.close();
}
