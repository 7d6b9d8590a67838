import fs from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode } from '../contract/errors.ts';
import type { JobProgress } from '../contract/job.ts';
import { withChildMemoryLimit } from './converters/child-process.ts';
import { diskFull, isDiskFull } from './converters/limits.ts';
import { ProcessGroupLedger } from './converters/process-groups.ts';
import { publicDetail } from './details.ts';
import { ConversionError, type Converter } from './converters/types.ts';
import type { DataFiles } from './files.ts';
import { conversionName } from './formats.ts';
import { MAX_TIMER_MS, type ConvertApiOptions } from './options.ts';
import { zipOutputs } from './packaging.ts';
import type { JobRecord, JobStore } from './store.ts';

/** Share of the percent scale given to the conversion itself; the rest is packaging and finishing. */
const CONVERTING_SPAN = 90;
const PROGRESS_SAVE_INTERVAL_MS = 1000;
/** How long a step may take to stop after the job's time limit before its worker is taken back anyway. */
const TIMEOUT_GRACE_MS = 2000;

interface Execution {
  account: string;
  controller: AbortController;
  startedAt: number;
  /** The converter's own 0–100. */
  work: number;
  phase: string;
  /** Highest percent ever shown: progress never decreases. */
  floor: number;
  savedAt: number;
  /** Canceled by the client: the account's slot is free at once, the worker slot when the work stops. */
  canceled: boolean;
  /** Stopped by the time limit: already Failed in the store; like a cancel, the account's slot is free at once. */
  timedOut: boolean;
  done: Promise<void>;
}

class ShutdownError extends Error {}
/** The abort reason of a job past its time limit, told apart from a cancel or a shutdown. */
class JobTimeoutError extends Error {}

/** The worker pool: a global cap, a per-account running cap, and the life of one job run. */
export class JobRunner {
  private readonly executing = new Map<string, Execution>();
  private readonly converters: Map<string, Converter>;
  /** Every tool a conversion starts, on record while it runs (for the next start, after a hard crash). */
  private readonly toolGroups: ProcessGroupLedger;
  private closing = false;

  constructor(
    private readonly store: JobStore,
    private readonly files: DataFiles,
    private readonly options: ConvertApiOptions,
  ) {
    this.converters = new Map(options.converters.map((c) => [c.id, c]));
    this.toolGroups = new ProcessGroupLedger(files.processGroupsPath);
  }

  /** Starts as many waiting jobs as the caps allow. Cheap enough to call after every change. */
  kick(): void {
    if (this.closing) return;
    try {
      for (const job of this.store.active()) {
        if (this.executing.size >= this.options.workers) return;
        if (this.executing.has(job.id)) continue;
        if (this.runningFor(job.account) >= this.options.maxRunningPerAccount) continue;
        this.start(job);
      }
    } catch (error) {
      // A full disk (SQLITE_FULL) must not stop the service: the jobs wait Queued until a later kick can record them.
      console.error('convert-api: could not start waiting jobs', error);
    }
  }

  private runningFor(account: string): number {
    let count = 0;
    for (const run of this.executing.values()) if (run.account === account && !run.canceled && !run.timedOut) count++;
    return count;
  }

  private start(job: JobRecord): void {
    const startedAt = this.options.clock.now();
    const run: Execution = {
      account: job.account,
      controller: new AbortController(),
      startedAt,
      work: 0,
      phase: 'converting',
      floor: job.percent,
      savedAt: startedAt,
      canceled: false,
      timedOut: false,
      done: Promise.resolve(),
    };
    this.store.markRunning(job.id, startedAt);
    this.executing.set(job.id, run);
    run.done = this.execute(job, run)
      .catch((error: unknown) => {
        // Only the store can fail here (its end could not be recorded, e.g. SQLITE_FULL): the job runs again at the
        // next start, and the service stays up.
        console.error(`convert-api: the end of job ${job.id} could not be recorded`, error);
      })
      .finally(() => {
        this.executing.delete(job.id);
        this.kick();
      });
  }

  /** The progress to show for a Running job; also moves its floor so it never goes back. */
  progressOf(job: JobRecord): JobProgress {
    const run = this.executing.get(job.id);
    if (!run) return { percent: job.percent, phase: job.phase ?? 'queued' };
    let percent = run.phase === 'packaging' ? CONVERTING_SPAN + 5 : (run.work * CONVERTING_SPAN) / 100;
    if (run.work >= 100 && run.phase !== 'packaging') percent = 99;
    if (this.options.minJobMs > 0) {
      const elapsed = this.options.clock.now() - run.startedAt;
      percent = Math.min(percent, (elapsed / this.options.minJobMs) * 100);
    }
    run.floor = Math.max(run.floor, Math.min(99, Math.floor(percent)));
    const now = this.options.clock.now();
    if (now - run.savedAt >= PROGRESS_SAVE_INTERVAL_MS) {
      run.savedAt = now;
      this.store.saveProgress(job.id, run.floor, run.phase);
    }
    return { percent: run.floor, phase: run.phase };
  }

  /** Called after the store marked the job Canceled: stops the work, whose output is then discarded. */
  abort(jobId: string): boolean {
    const run = this.executing.get(jobId);
    if (!run) return false;
    run.canceled = true;
    run.controller.abort(new Error('canceled'));
    this.kick();
    return true;
  }

  /** The last percent shown for a job, for the record of a job that ends now. */
  lastPercent(job: JobRecord): number {
    return job.status === 'Running' ? this.progressOf(job).percent : job.percent;
  }

  /** Ends a running job Failed, keeping the progress it reached (progress never goes back). */
  private fail(job: JobRecord, code: string, detail: string): void {
    this.store.saveProgress(job.id, this.lastPercent({ ...job, status: 'Running' }), null);
    this.store.markFailed(job.id, code, publicDetail(detail, this.files.root), this.options.clock.now());
  }

  /**
   * The job's time limit, from the start of its conversion. When it passes the job is Failed at once (so neither a
   * status request nor a restart sees it Running while it stops), then its work is aborted.
   */
  private startTimeLimit(job: JobRecord, run: Execution): NodeJS.Timeout {
    const seconds = this.options.jobTimeoutSeconds;
    const timer = setTimeout(() => {
      if (run.controller.signal.aborted) return;
      run.timedOut = true;
      this.recordTimeout(job);
      run.controller.abort(new JobTimeoutError(this.timeoutDetail()));
      this.kick();
    }, Math.min(seconds * 1000, MAX_TIMER_MS));
    // The run itself keeps the process busy; a leftover timer must not.
    timer.unref();
    return timer;
  }

  private timeoutDetail(): string {
    return `The conversion took longer than ${this.options.jobTimeoutSeconds} s and was stopped.`;
  }

  /** Fails a job past its time limit; a no-op once it is no longer Running. Never throws. */
  private recordTimeout(job: JobRecord): void {
    try {
      this.fail(job, ErrorCode.conversionFailed, this.timeoutDetail());
    } catch (error) {
      console.error(`convert-api: the time limit of job ${job.id} could not be recorded`, error);
    }
  }

  /**
   * Waits for one step of the work. Past the time limit, a step that ignores its signal (in-process work cannot be
   * killed) gets a short grace and is then left behind so that it cannot keep the worker; what it leaves is removed
   * when it ends. A cancel or a shutdown still waits for the step, as before.
   */
  private bounded<T>(work: Promise<T>, signal: AbortSignal, leftovers: string[]): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let grace: NodeJS.Timeout | undefined;
      const onAbort = () => {
        if (!(signal.reason instanceof JobTimeoutError)) return;
        grace = setTimeout(() => {
          reject(signal.reason);
          const removeLeftovers = () => {
            for (const file of leftovers) void fs.rm(file, { recursive: true, force: true }).catch(() => {});
          };
          work.then(removeLeftovers, removeLeftovers);
        }, TIMEOUT_GRACE_MS);
      };
      const settled = () => {
        clearTimeout(grace);
        signal.removeEventListener('abort', onAbort);
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      work.then(
        (value) => {
          settled();
          resolve(value);
        },
        (error: unknown) => {
          settled();
          reject(error);
        },
      );
    });
  }

  private async execute(job: JobRecord, run: Execution): Promise<void> {
    const { signal } = run.controller;
    const workDir = this.files.workDir(job.id);
    const leftovers = [workDir, `${workDir}.zip`];
    const upload = this.files.upload(job.id);
    // Scratch files, and the upload unless a shutdown leaves the job to run again at the next start.
    let cleaned = false;
    const cleanUp = async (withUpload: boolean) => {
      for (const file of leftovers) await fs.rm(file, { recursive: true, force: true });
      if (withUpload) await fs.rm(upload, { force: true });
      cleaned = true;
    };
    const timeLimit = this.startTimeLimit(job, run);
    try {
      const converter = this.converters.get(job.converterId);
      if (!converter) throw new ConversionError(ErrorCode.conversionFailed, `The converter ${job.converterId} is not available on this server.`);
      await fs.rm(workDir, { recursive: true, force: true });
      await fs.mkdir(workDir, { recursive: true });
      const limits = { maxPixels: this.options.maxPixels, childMemoryMb: this.options.childMemoryMb };
      const result = await this.bounded(withChildMemoryLimit(limits.childMemoryMb, () => this.toolGroups.run(() => converter.run({
        inputPath: upload,
        sourceFormat: job.sourceFormat,
        stem: job.stem,
        outputDir: workDir,
        options: JSON.parse(job.options) as Record<string, unknown>,
        signal,
        limits,
        onProgress: (percent, phase) => {
          if (Number.isFinite(percent)) run.work = Math.max(run.work, Math.min(100, percent));
          if (phase && /^[a-z][a-z -]{0,30}$/.test(phase)) run.phase = phase;
        },
      }))), signal, leftovers);
      signal.throwIfAborted();
      if (result.files.length === 0) throw new Error('The converter produced no output.');
      run.work = 100;
      run.phase = 'converting';
      let packaged: string;
      let output: { fileName: string; contentType: string; fileCount: number; bytes: number };
      if (result.files.length === 1) {
        packaged = result.files[0];
        const bytes = (await fs.stat(packaged)).size;
        output = { fileName: `${job.stem}.${converter.outputExtension}`, contentType: converter.contentType, fileCount: 1, bytes };
      } else {
        run.phase = 'packaging';
        packaged = `${workDir}.zip`;
        const bytes = await this.bounded(zipOutputs(result.files, job.stem, converter.outputExtension, packaged), signal, leftovers);
        const count = result.files.length;
        const fileName = `convert.fast-${conversionName(converter.id)}-${job.stem}-${count}-outputs.zip`;
        output = { fileName, contentType: 'application/zip', fileCount: count, bytes };
      }
      // The conversion is done: the demo pacing below is not part of the time limit.
      clearTimeout(timeLimit);
      const wait = run.startedAt + this.options.minJobMs - this.options.clock.now();
      if (wait > 0) await sleep(wait, undefined, { signal });
      signal.throwIfAborted();
      // The input and the scratch folder go before the job is seen Succeeded, so that a finished job holds only its
      // output on disk. A cancel or delete that slips in before the update makes it return false: the output goes too.
      await fs.rename(packaged, this.files.output(job.id));
      await cleanUp(true);
      if (!this.store.markSucceeded(job.id, output, this.options.clock.now())) {
        await fs.rm(this.files.output(job.id), { force: true });
      }
    } catch (error) {
      if (signal.reason instanceof ShutdownError) return;
      if (!run.canceled && !run.timedOut) {
        // A full disk shows through as whatever failed to write (a tool's message, a "damaged image"): it is the
        // server's failure, whatever the converter made of it.
        const fault = isDiskFull(error) || (error instanceof ConversionError && isDiskFull(error.detail)) ? diskFull() : error;
        const code = fault instanceof ConversionError ? fault.code : ErrorCode.conversionFailed;
        const detail = fault instanceof Error && fault.message ? fault.message : 'The conversion failed.';
        // As for a success: the files go before the job is seen Failed.
        await cleanUp(true);
        this.fail(job, code, detail);
      }
    } finally {
      clearTimeout(timeLimit);
      // Once more when the work has stopped: if recording the limit failed (a busy or full store), the job would
      // otherwise stay Running until the next start.
      if (run.timedOut) this.recordTimeout(job);
      if (!cleaned) await cleanUp(!(signal.reason instanceof ShutdownError));
    }
  }

  /** Stops all work without changing the jobs: they run again from the start at the next start. */
  async close(): Promise<void> {
    this.closing = true;
    const runs = [...this.executing.values()];
    for (const run of runs) run.controller.abort(new ShutdownError('shutdown'));
    // A converter that ignores its signal must not keep the process from stopping.
    const timeout = new Promise((resolve) => setTimeout(resolve, 5000).unref());
    await Promise.race([Promise.allSettled(runs.map((run) => run.done)), timeout]);
  }
}
