/**
 * The keeper: a copy of each output on this server's disk, fetched as soon as its job is seen Succeeded, so the
 * upstream's one-hour expiry loses nothing (issue 9).
 *
 * Durability: an output is streamed (never buffered) to `<dir>/<jobId>.<random>.part`, its byte count checked
 * against the size the status announced (and Content-Length), fsynced, renamed to `<dir>/<jobId>` and the
 * directory fsynced; only then does SQLite record it (`kept_at`). Every read goes through that record, so a
 * `.part` or a file renamed just before a crash is never served. At start, `.part` files and files without a
 * record are deleted, records without a file are forgotten, and whatever the upstream still has is fetched again.
 *
 * Budget: KEEP_OUTPUTS_MAX_GB for all kept copies together (plus what is being fetched); past it a job is marked
 * `disk_full` and its batch says so. KEEP_OUTPUTS_DAYS after it was kept, a copy is deleted.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { JobStatusResponse } from '../../contract/job.ts';
import type { BatchStore, JobRow } from '../batches/store.ts';
import type { Clock } from '../tracker/clock.ts';
import { fsyncPath } from '../fsync.ts';
import type { UpstreamClient } from '../upstream.ts';

export interface KeeperOptions {
  /** `DATA_DIR/outputs`. */
  dir: string;
  store: BatchStore;
  upstream: UpstreamClient;
  clock: Clock;
  maxBytes: number;
  keepDays: number;
  /**
   * Outputs fetched at once. Two keeps a loopback upstream's disk busy without taking the link from the
   * tracker and the operator's own downloads (the bench measures the slow-down of a converting batch).
   */
  concurrency?: number;
  log?: { warn(object: object, message: string): void };
}

/** A complete kept copy, as the download route serves it. */
export interface KeptFile {
  path: string;
  bytes: number;
  contentType: string | null;
  disposition: string | null;
}

/** Attempts at one output before it is marked `failed` (a size mismatch or an upstream error each count). */
const MAX_ATTEMPTS = 3;
const RETRY_DELAY_MS = 30_000;
const CLEANUP_INTERVAL_MS = 60 * 60_000;
const FINAL_NAME = /^[0-9a-f]{32}$/;

export type Keeper = ReturnType<typeof createKeeper>;

export function createKeeper(opts: KeeperOptions) {
  const { dir, store, upstream, clock } = opts;
  const concurrency = opts.concurrency ?? 2;
  const queue = new Set<string>();
  const active = new Map<string, AbortController>();
  const attempts = new Map<string, number>();
  const retryTimers = new Set<unknown>();
  /** Bytes announced by the fetches under way: counted against the budget before they land. */
  let reserved = 0;
  let cleanupTimer: unknown = null;
  let starting: Promise<void> | null = null;
  let closed = false;
  /** Nothing is fetched before `start` reconciled the folder (a `.part` of before a crash must go first). */
  let started = false;
  let idle: Promise<void> = Promise.resolve();
  let markIdle: (() => void) | null = null;

  const finalPath = (jobId: string) => join(dir, jobId);

  function consider(jobId: string): void {
    if (closed || queue.has(jobId) || active.has(jobId) || !store.wantsKeep(jobId)) return;
    queue.add(jobId);
    pump();
  }

  function pump(): void {
    while (started && !closed && active.size < concurrency && queue.size > 0) {
      const jobId = queue.values().next().value!;
      queue.delete(jobId);
      if (!store.wantsKeep(jobId)) continue;
      const controller = new AbortController();
      active.set(jobId, controller);
      if (!markIdle) idle = new Promise((resolve) => (markIdle = resolve));
      void keepOne(jobId, controller.signal).finally(() => {
        active.delete(jobId);
        pump();
        if (active.size === 0 && queue.size === 0 && markIdle) {
          markIdle();
          markIdle = null;
        }
      });
    }
  }

  function announcedBytes(job: JobRow): number | null {
    if (!job.last_json) return null;
    const metrics = (JSON.parse(job.last_json) as Pick<JobStatusResponse, 'metrics'>).metrics;
    const value = metrics?.outputBytes;
    return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : null;
  }

  function retryLater(jobId: string, why: string): void {
    const count = (attempts.get(jobId) ?? 0) + 1;
    attempts.set(jobId, count);
    opts.log?.warn({ jobId, attempt: count, why }, 'keeping an output failed');
    if (count >= MAX_ATTEMPTS) {
      attempts.delete(jobId);
      store.recordKeepProblem(jobId, 'failed');
      return;
    }
    const timer = clock.setTimeout(() => {
      retryTimers.delete(timer);
      consider(jobId);
    }, RETRY_DELAY_MS * count);
    retryTimers.add(timer);
  }

  async function keepOne(jobId: string, signal: AbortSignal): Promise<void> {
    const job = store.getJob(jobId);
    if (!job) return;
    const announced = announcedBytes(job);
    const part = join(dir, `${jobId}.${randomBytes(6).toString('hex')}.part`);
    let reservation = 0;
    let partWritten = false;
    try {
      const res = await upstream.request({ method: 'GET', path: `/convert/job/${jobId}/download`, signal });
      if (res.statusCode !== 200) {
        await res.body.dump().catch(() => {});
        if (res.statusCode === 410) store.markOutputExpired(jobId);
        // 404: deleted upstream; the tracker records that. Anything else may pass: try again later.
        else if (res.statusCode !== 404) retryLater(jobId, `upstream answered ${res.statusCode}`);
        return;
      }
      const lengthHeader = res.headers['content-length'];
      const contentLength = typeof lengthHeader === 'string' && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : null;
      if (announced !== null && contentLength !== null && announced !== contentLength) {
        await res.body.dump().catch(() => {});
        return retryLater(jobId, `Content-Length ${contentLength} is not the announced ${announced} bytes`);
      }
      const expected = announced ?? contentLength;
      reservation = expected ?? 0;
      if (store.keptBytesTotal() + reserved + reservation > opts.maxBytes) {
        res.body.destroy();
        reservation = 0;
        store.recordKeepProblem(jobId, 'disk_full');
        return;
      }
      reserved += reservation;
      const contentType = headerText(res.headers['content-type']);
      const disposition = headerText(res.headers['content-disposition']);
      let bytes = 0;
      const file = await open(part, 'wx');
      partWritten = true;
      try {
        // One chunk at a time: the upstream is read only as fast as the disk takes it.
        for await (const chunk of res.body as AsyncIterable<Buffer>) {
          bytes += chunk.length;
          // More than announced: stop now rather than fill the disk.
          if (expected !== null && bytes > expected) break;
          await file.write(chunk);
        }
        await file.sync();
      } finally {
        await file.close();
      }
      if (expected !== null && bytes !== expected) {
        return retryLater(jobId, `received ${bytes} bytes, announced ${expected}`);
      }
      await rename(part, finalPath(jobId));
      partWritten = false;
      await fsyncPath(dir);
      // Deleted through the dashboard, removed from its batches or expired while it was being fetched.
      if (closed || !store.wantsKeep(jobId)) {
        if (!closed) await rm(finalPath(jobId), { force: true });
        return;
      }
      const now = clock.now();
      store.recordKept(jobId, { at: now, until: now + opts.keepDays * 86_400_000, bytes, type: contentType, disposition });
      attempts.delete(jobId);
    } catch (error) {
      if (signal.aborted || closed) return;
      retryLater(jobId, error instanceof Error ? error.message : String(error));
    } finally {
      reserved -= reservation;
      if (partWritten) await rm(part, { force: true }).catch(() => {});
    }
  }

  /** Deletes a job's kept copy (and stops a fetch under way). */
  async function discard(jobId: string): Promise<void> {
    queue.delete(jobId);
    active.get(jobId)?.abort();
    const hadCopy = store.getJob(jobId)?.kept_at != null;
    store.forgetKept(jobId);
    await rm(finalPath(jobId), { force: true });
    // The keeper may have closed (and the store with it) while the file was being removed.
    if (hadCopy && !closed) retrySkipped();
  }

  /** Space was freed: outputs refused for lack of it get another chance (while the upstream still has them). */
  function retrySkipped(): void {
    for (const id of store.clearKeepProblems('disk_full')) consider(id);
  }

  async function cleanup(): Promise<void> {
    const ids = new Set([...store.keptUntilBefore(clock.now()), ...store.keptUnlisted()]);
    for (const id of ids) {
      if (closed) return;
      await discard(id);
    }
  }

  function scheduleCleanup(): void {
    cleanupTimer = clock.setTimeout(() => {
      void cleanup()
        .catch((error: unknown) => opts.log?.warn({ err: error }, 'cleaning up kept outputs failed'))
        .finally(() => {
          if (!closed) scheduleCleanup();
        });
    }, CLEANUP_INTERVAL_MS);
  }

  /** Reconciles the folder with the records (after a crash too), then fetches what is missing. */
  async function reconcile(): Promise<void> {
    await mkdir(dir, { recursive: true });
    const recorded = new Set(store.keptJobIds());
    for (const name of await readdir(dir)) {
      if (closed) return;
      if (!FINAL_NAME.test(name) || !recorded.has(name)) await rm(join(dir, name), { force: true, recursive: true });
    }
    for (const id of recorded) {
      if (closed) return;
      const size = await stat(finalPath(id)).then((s) => s.size, () => null);
      if (closed) return;
      if (size === null || size !== store.getJob(id)?.kept_bytes) {
        store.forgetKept(id);
        await rm(finalPath(id), { force: true });
      }
    }
    if (closed) return;
    await cleanup();
    if (closed) return;
    started = true;
    for (const id of store.keepCandidates()) consider(id);
    pump();
    scheduleCleanup();
  }

  return {
    /** A job's status was recorded: keep its output if it should be and is not yet. */
    consider,
    discard,
    /** The batch's switch went on: keep what it has that can still be fetched. */
    considerBatch(batchId: string): void {
      for (const id of store.keepCandidates(batchId)) consider(id);
    },
    /** Reconciles the folder with the records (after a crash too), then fetches what is missing. */
    start(): Promise<void> {
      starting ??= reconcile().catch((error: unknown) => {
        if (!closed) throw error;
      });
      return starting;
    },
    /** The complete kept copy of a job, or null. */
    keptFile(jobId: string): KeptFile | null {
      const job = store.getJob(jobId);
      if (!job || job.kept_at === null) return null;
      return { path: finalPath(jobId), bytes: job.kept_bytes ?? 0, contentType: job.kept_type, disposition: job.kept_disposition };
    },
    /** Opens a kept copy for reading; null when it is gone (deleted meanwhile). */
    async openKept(jobId: string): Promise<{ file: KeptFile; stream: Readable } | null> {
      const file = this.keptFile(jobId);
      if (!file) return null;
      const handle = await open(file.path, 'r').catch(() => null);
      if (!handle) return null;
      return { file, stream: handle.createReadStream() };
    },
    usedBytes: (): number => store.keptBytesTotal(),
    maxBytes: opts.maxBytes,
    keepDays: opts.keepDays,
    /** Resolves when no fetch is under way or queued (tests). */
    settled: (): Promise<void> => idle,
    async close(): Promise<void> {
      closed = true;
      await starting;
      queue.clear();
      if (cleanupTimer !== null) clock.clearTimeout(cleanupTimer);
      for (const timer of retryTimers) clock.clearTimeout(timer);
      for (const controller of active.values()) controller.abort();
      await idle;
    },
  };
}

function headerText(value: string | string[] | undefined): string | null {
  return typeof value === 'string' ? value : Array.isArray(value) ? (value[0] ?? null) : null;
}
