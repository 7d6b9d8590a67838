/**
 * The feeder: sends spooled files upstream in the order they arrived (all batches together), keeping the
 * account's queued + running jobs under `maxActive`, so that the upstream's `429 queue.limit_exceeded` (which
 * costs a whole re-sent body) stays the exception.
 *
 * - A submission is marked `sending` (committed) before its request starts. After a crash a `sending` one is
 *   `in_doubt`: the upstream may have created its job, so it is never sent again by itself.
 * - Answers: 202 → recorded (the job takes the row's place) and tracked; 429 → back to the head of the
 *   queue, no send before its Retry-After, and the cap drops to what the upstream evidently holds (it climbs
 *   back by one per accepted file); 401/403/503 or a connection refused → back to waiting, paused; another
 *   4xx → refused (the row is Failed with the upstream's error); a 5xx, a reset or a timeout once the body
 *   was on its way → in doubt.
 * - Slots: `wake()` runs whenever something may have freed one (the tracker saw a job finish, a file arrived,
 *   a pause ended).
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { PassThrough } from 'node:stream';
import { ErrorCode, isErrorBody } from '../../contract/errors.ts';
import { normalizeJobId } from '../../contract/job-id.ts';
import type { Clock } from '../tracker/clock.ts';
import { parseRetryAfter } from '../tracker/policy.ts';
import type { UpstreamClient } from '../upstream.ts';
import type { SubmissionQueue, SubmissionRow } from './queue.ts';
import type { Spool } from './spool.ts';

export interface FeederOptions {
  queue: SubmissionQueue;
  spool: Spool;
  upstream: UpstreamClient;
  clock: Clock;
  maxActive: number;
  /** The upstream accepted a file as `jobId` (start tracking it). */
  accepted(jobId: string, at: number, submission: SubmissionRow): void;
  log?: { warn(obj: unknown, msg: string): void; error(obj: unknown, msg: string): void };
  /**
   * Test hook (SUBMISSIONS_CRASH_AFTER_ACCEPTED): called between the upstream's 202 and its record, with the
   * count of 202s so far. The crash test kills the process there.
   */
  afterAccepted?: (count: number) => void;
}

/** A pause when the upstream refuses everyone (401/403, 503 or unreachable): doubles up to a minute. */
const PAUSE_MIN_MS = 1_000;
const PAUSE_MAX_MS = 60_000;
/** How long a stop waits for the sends under way to be answered (real time: shutdown is not simulated). */
const CLOSE_GRACE_MS = 3_000;

export interface Feeder {
  wake(): void;
  /** How many sends are in flight now. */
  inFlight(): number;
  /** Resolves when no send is in flight (for shutdown and tests). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export function createFeeder(opts: FeederOptions): Feeder {
  const { queue, spool, upstream, clock } = opts;
  let inFlight = 0;
  let cap = opts.maxActive;
  let pausedUntil = 0;
  let pauseMs = PAUSE_MIN_MS;
  let timer: unknown = null;
  /** No new sends (close() was called). */
  let stopping = false;
  /** The store may be closed: sends still finishing must not touch it. */
  let closed = false;
  let acceptedCount = 0;
  let idleWaiters: (() => void)[] = [];
  const aborts = new Set<AbortController>();

  function pause(ms: number): void {
    pausedUntil = Math.max(pausedUntil, clock.now() + ms);
  }

  function pump(): void {
    if (stopping) return;
    for (;;) {
      const now = clock.now();
      if (now < pausedUntil) {
        if (timer === null) {
          timer = clock.setTimeout(() => {
            timer = null;
            pump();
          }, pausedUntil - now);
        }
        return;
      }
      if (queue.activeSent() + inFlight >= cap) return;
      const next = queue.nextWaiting();
      if (!next) return;
      queue.markSending(next.id);
      inFlight++;
      void send(next).finally(() => {
        inFlight--;
        if (inFlight === 0) {
          const waiters = idleWaiters;
          idleWaiters = [];
          for (const w of waiters) w();
        }
        pump();
      });
    }
  }

  async function send(sub: SubmissionRow): Promise<void> {
    const boundary = `----dashboard${randomBytes(12).toString('hex')}`;
    let head = '';
    if (sub.options_json) head += `--${boundary}\r\nContent-Disposition: form-data; name="options"\r\n\r\n${sub.options_json}\r\n`;
    head += `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${quoteFileName(sub.file_name)}"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n';
    const headBytes = Buffer.from(head);
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    if (!sub.source_path) {
      queue.markRefused(sub.id, { error: ErrorCode.invalidBody, detail: 'The spooled file is missing.', status: 410 });
      return;
    }
    const body = new PassThrough();
    body.on('error', () => {});
    body.write(headBytes);
    const file = createReadStream(spool.path(sub.source_path));
    file.on('error', (error) => body.destroy(error));
    file.on('end', () => body.end(tail));
    file.pipe(body, { end: false });

    const abort = new AbortController();
    aborts.add(abort);
    let response;
    try {
      response = await upstream.request({
        signal: abort.signal,
        upload: true,
        method: 'POST',
        path: `/convert?targetFormat=${encodeURIComponent(sub.target_format)}`,
        headers: {
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': String(headBytes.length + sub.bytes + tail.length),
          accept: 'application/json',
        },
        body,
      });
    } catch (error) {
      file.destroy();
      aborts.delete(abort);
      // Stopped by close(): the row stays `sending`, which the next start reads as in doubt.
      if (closed) return;
      const code = (error as { code?: string }).code;
      if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
        // Nothing reached the upstream: safe to send again later.
        queue.backToWaiting(sub.id);
        pauseMore();
      } else {
        opts.log?.warn({ err: error, submission: sub.id }, 'a send failed after it may have reached the upstream: in doubt');
        queue.markInDoubt(sub.id);
      }
      return;
    }
    let text: string;
    try {
      text = await upstream.text(response);
    } catch {
      aborts.delete(abort);
      if (closed) return;
      if (response.statusCode === 202) queue.markInDoubt(sub.id);
      else queue.backToWaiting(sub.id);
      return;
    }
    aborts.delete(abort);
    if (closed) return;
    const status = response.statusCode;
    if (status === 202) {
      const answer = parseJson(text) as { id?: unknown; creditCost?: unknown } | null;
      const jobId = typeof answer?.id === 'string' ? normalizeJobId(answer.id) : null;
      if (!jobId) {
        opts.log?.error({ status }, 'upstream accepted a submission without a usable job id');
        queue.markInDoubt(sub.id);
        return;
      }
      acceptedCount++;
      opts.afterAccepted?.(acceptedCount);
      const at = clock.now();
      queue.markSent(sub.id, jobId, at, typeof answer?.creditCost === 'number' ? answer.creditCost : 0);
      if (cap < opts.maxActive) cap++;
      pauseMs = PAUSE_MIN_MS;
      opts.accepted(jobId, at, sub);
      return;
    }
    const problem = problemOf(text, status);
    if (status === 429) {
      // The upstream holds more than we count (jobs from elsewhere on the same account): hold at what it has.
      if (problem.error === ErrorCode.queueLimitExceeded) cap = Math.max(1, queue.activeSent());
      queue.backToWaiting(sub.id);
      pause(parseRetryAfter(response.headers['retry-after'], clock.now()) ?? PAUSE_MIN_MS);
      return;
    }
    if (status === 401 || status === 403 || status === 503 || status === 408) {
      queue.backToWaiting(sub.id);
      pauseMore();
      return;
    }
    if (status >= 400 && status < 500) {
      queue.markRefused(sub.id, problem);
      return;
    }
    opts.log?.warn({ status, submission: sub.id }, 'the upstream answered a send with a server error: in doubt');
    queue.markInDoubt(sub.id);
  }

  function pauseMore(): void {
    pause(pauseMs);
    pauseMs = Math.min(PAUSE_MAX_MS, pauseMs * 2);
  }

  return {
    wake: () => pump(),
    inFlight: () => inFlight,
    idle: () => (inFlight === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve))),
    async close() {
      stopping = true;
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
      if (inFlight > 0) {
        // Sends under way get a moment to be answered; past it they are cut, and stay in doubt.
        const grace = setTimeout(() => {
          closed = true;
          for (const a of aborts) a.abort();
        }, CLOSE_GRACE_MS);
        await new Promise<void>((resolve) => idleWaiters.push(resolve));
        clearTimeout(grace);
      }
      closed = true;
    },
  };
}

function quoteFileName(name: string): string {
  return name.replace(/["\\\r\n]/g, '_');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function problemOf(text: string, status: number): { error: string; detail: string | null; status: number } {
  const body = parseJson(text);
  if (isErrorBody(body)) return { error: body.error, detail: body.detail ?? null, status };
  return { error: ErrorCode.upstreamBadResponse, detail: `The Convert API answered ${status}.`, status };
}
