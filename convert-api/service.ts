import type { JobOutput, JobStatusResponse } from '../contract/job.ts';
import { isTerminal } from '../contract/status.ts';
import { reapProcessGroups } from './converters/process-groups.ts';
import { publicDetail } from './details.ts';
import { DataFiles } from './files.ts';
import type { ConvertApiOptions } from './options.ts';
import { JobRunner } from './runner.ts';
import { JobStore, type JobRecord, type NewJob } from './store.ts';
import { TokenBuckets } from './token-bucket.ts';

/** Job state, files, workers and time rules together: what the routes talk to. */
export class JobService {
  readonly files: DataFiles;
  readonly store: JobStore;
  readonly runner: JobRunner;
  readonly pollBuckets: TokenBuckets;
  private sweeper: NodeJS.Timeout | null = null;

  private constructor(readonly options: ConvertApiOptions) {
    this.files = new DataFiles(options.dataDir);
    this.store = new JobStore(this.files.databasePath);
    this.runner = new JobRunner(this.store, this.files, options);
    this.pollBuckets = new TokenBuckets(options.pollBurst, options.pollRatePerSecond, options.clock);
  }

  static async open(options: ConvertApiOptions): Promise<JobService> {
    await new DataFiles(options.dataDir).ensure();
    const service = new JobService(options);
    // The data folder is ours now (the store holds its lock), so what a previous service left running is stale.
    const killed = reapProcessGroups(service.files.processGroupsPath);
    if (killed.length > 0) console.warn(`Stopped ${killed.length} converter process(es) left running by a previous run.`);
    await service.sweep();
    await service.files.removeOrphans(service.store.idsWithFiles());
    service.runner.kick();
    service.sweeper = setInterval(() => void service.sweep(), options.sweepIntervalMs);
    service.sweeper.unref();
    return service;
  }

  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    await this.runner.close();
    this.store.close();
  }

  private now(): number {
    return this.options.clock.now();
  }

  submit(job: NewJob): void {
    this.store.insert(job);
    this.runner.kick();
  }

  /** The job, or null when unknown or forgotten (records are kept 24 h after completion). */
  find(id: string): JobRecord | null {
    const job = this.store.get(id);
    if (!job) return null;
    if (job.completedAt !== null && job.completedAt + this.options.recordTtlSeconds * 1000 <= this.now()) {
      void this.forget(id);
      return null;
    }
    if (job.status === 'Succeeded' && !job.outputExpired && this.outputExpiredByTime(job)) {
      void this.expireOutput(id);
      return { ...job, outputExpired: true };
    }
    return job;
  }

  private outputExpiredByTime(job: JobRecord): boolean {
    return job.completedAt !== null && job.completedAt + this.options.outputTtlSeconds * 1000 <= this.now();
  }

  private async expireOutput(id: string): Promise<void> {
    this.store.markOutputExpired(id);
    await this.files.removeJobFiles(id);
  }

  private async forget(id: string): Promise<void> {
    this.store.delete(id);
    this.pollBuckets.forgetJob(id);
    await this.files.removeJobFiles(id);
  }

  /** Removes expired outputs and forgotten records; driven by a timer and by the (injectable) clock. */
  async sweep(): Promise<void> {
    const now = this.now();
    for (const id of this.store.outputsCompletedBefore(now - this.options.outputTtlSeconds * 1000)) await this.expireOutput(id);
    for (const id of this.store.completedBefore(now - this.options.recordTtlSeconds * 1000)) await this.forget(id);
    this.pollBuckets.prune();
  }

  activeCount(account: string): number {
    return this.store.countActive(account);
  }

  /** Cancels a Queued or Running job; the record is Canceled before this returns. */
  cancel(job: JobRecord): void {
    const percent = this.runner.lastPercent(job);
    this.store.saveProgress(job.id, percent, null);
    if (this.store.markCanceled(job.id, this.now())) {
      // A job at work cleans up after itself when it stops; any other (queued, or Running from before a
      // restart and not picked up yet) has only its upload to remove.
      if (!this.runner.abort(job.id)) void this.files.removeJobFiles(job.id);
    }
    this.runner.kick();
  }

  async delete(job: JobRecord): Promise<void> {
    await this.forget(job.id);
  }

  status(job: JobRecord): JobStatusResponse {
    const progress =
      job.status === 'Succeeded'
        ? { percent: 100, phase: null }
        : isTerminal(job.status)
          ? { percent: job.percent, phase: null }
          : job.status === 'Queued'
            ? { percent: job.percent, phase: 'queued' }
            : this.runner.progressOf(job);
    return {
      id: job.id,
      status: job.status,
      progress,
      metrics: {
        inputBytes: job.inputBytes,
        outputBytes: job.status === 'Succeeded' ? job.outputBytes : 0,
        // Credits are refunded when a job fails: its net cost is 0.
        creditCost: job.status === 'Failed' ? 0 : job.creditCost,
      },
      // Scrubbed again as it leaves: a record written before details were scrubbed may still name a server path.
      error: job.status === 'Failed'
        ? { code: job.errorCode ?? 'convert.failed', detail: job.errorDetail === null ? null : publicDetail(job.errorDetail, this.files.root) }
        : null,
      output: this.output(job),
    };
  }

  output(job: JobRecord): JobOutput | null {
    if (job.status !== 'Succeeded' || job.outputExpired || !job.outputFileName) return null;
    return { fileName: job.outputFileName, contentType: job.outputContentType ?? 'application/octet-stream', fileCount: job.outputFileCount ?? 1 };
  }
}
