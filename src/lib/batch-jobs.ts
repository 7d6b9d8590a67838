import type { BatchJob, BatchSnapshot, TrackedState } from '../../contract/dashboard-api.ts';
import type { ErrorBody, Problem } from '../../contract/errors.ts';
import { isoOrNull, numberColumn, stringColumn, timeColumn, type Column } from './columns.ts';
import type { OutputFacts } from '../../contract/outputs.ts';
import { jobTimes } from '../../contract/insight-api.ts';
import { hashId, jobIdColumn, type JobIdColumn } from './job-id-column.ts';

/**
 * The jobs of a batch snapshot in a compact, column-wise form: what the query cache holds instead of the parsed
 * JSON. A 10,000-job snapshot parses into about 4 MiB of objects (an object per job and per nesting level, a
 * string per id and timestamp); here it is a few typed arrays and one string per text column, and the parsed
 * objects are garbage as soon as the query function returns. Rows are turned back into `BatchJob` objects only
 * when shown (`job(row)`), a screenful at a time.
 *
 * Rows keep the snapshot's order (the order jobs were added); `row` below is that position.
 */

// Which optional parts a row has, one byte per row.
const HAS_LAST = 1;
const HAS_ERROR = 2;
const HAS_OUTPUT = 4;
const HAS_PROBLEM = 8;
const HAS_EXPIRY = 16;
const EXPIRY_UNKNOWN = 32;
const OUTPUT_EXPIRED = 64;

/** Materialised rows kept for re-renders (a screenful is ~30); beyond this the cache starts over. */
const ROW_CACHE_SIZE = 512;
/** Steps of `withChanges` a version remembers, for `changedRowsSince`: a few renders that React skipped. */
const HISTORY_STEPS = 8;

let versions = 0;


export class BatchJobs {
  readonly length: number;
  private readonly ids: JobIdColumn;
  private readonly shape: Uint8Array;
  private readonly states: Column<string>;
  private readonly fileNames: Column<string>;
  private readonly targetFormats: Column<string>;
  private readonly addedAt: Column<number>;
  private readonly submittedAt: Column<number>;
  private readonly lastCheckedAt: Column<number>;
  private readonly lastSeenActiveAt: Column<number>;
  private readonly firstSeenRunningAt: Column<number>;
  private readonly firstSeenTerminalAt: Column<number>;
  private readonly downloadedAt: Column<number>;
  private readonly percent: Column<number>;
  private readonly phase: Column<string>;
  private readonly inputBytes: Column<number>;
  private readonly outputBytes: Column<number>;
  private readonly creditCost: Column<number>;
  private readonly errorCode: Column<string>;
  private readonly errorDetail: Column<string>;
  private readonly outputFileName: Column<string>;
  private readonly outputContentType: Column<string>;
  private readonly outputFileCount: Column<number>;
  private readonly expiryEarliest: Column<number>;
  private readonly expiryLatest: Column<number>;
  private readonly problemError: Column<string>;
  private readonly problemDetail: Column<string>;
  private readonly problemStatus: Column<number>;
  private readonly keptAt: Column<number>;
  private readonly keptUntil: Column<number>;
  private readonly keptBytes: Column<number>;
  private readonly keepProblems: Column<string>;
  private readonly keptFileNames: Column<string>;
  /** Fields of `problem` beyond `{error, detail, status}` (the envelope allows extras); rare, so kept sparse. */
  private readonly problemExtras: Map<number, Record<string, unknown>> | null;
  /** Rows uploaded through the dashboard: their attempts and whether the source is kept (sparse). */
  private readonly submissions = new Map<number, NonNullable<BatchJob['submission']>>();
  private idIndex: Int32Array | null = null;
  private readonly rowCache = new Map<number, BatchJob>();
  /** Rows held in the columns; rows from here on exist only as patches (jobs added since). */
  private readonly baseLength: number;
  /**
   * Rows changed since the columns were built, as the wire's objects: a pushed change costs its own rows, not a
   * rebuild of 10,000. Folded into new columns once they are a large share of the batch.
   */
  private patches: ReadonlyMap<number, BatchJob> | null = null;
  /** Rows of jobs added since the columns were built, and of ids that moved (-1: an id no longer listed), by id. */
  private addedRows: ReadonlyMap<string, number> | null = null;
  /** Tells versions apart in `history` without holding them (a chain of versions would keep every patch map). */
  private version = ++versions;
  /** The rows each recent `withChanges` step touched, by the version it started from. */
  private history: readonly { from: number; rows: Int32Array }[] = [];

  constructor(jobs: readonly BatchJob[]) {
    const n = jobs.length;
    this.length = n;
    this.baseLength = n;
    this.ids = jobIdColumn(n, (r) => jobs[r].id);
    this.shape = new Uint8Array(n);
    // `?.` on `progress` and `metrics` below although the types say they are there: a snapshot of a server from
    // before upstream bodies were checked may carry `progress: null`, and one such job must not break the page.
    let extras: Map<number, Record<string, unknown>> | null = null;
    for (let r = 0; r < n; r++) {
      const job = jobs[r];
      let bits = 0;
      if (job.last) {
        bits |= HAS_LAST;
        if (job.last.error) bits |= HAS_ERROR;
        if (job.last.output) bits |= HAS_OUTPUT;
      }
      if (job.problem) {
        bits |= HAS_PROBLEM;
        const { error: _e, detail: _d, status: _s, ...rest } = job.problem;
        if (Object.keys(rest).length > 0) (extras ??= new Map()).set(r, rest);
      }
      if (job.expiry) bits |= 'unknown' in job.expiry ? HAS_EXPIRY | EXPIRY_UNKNOWN : HAS_EXPIRY;
      if (job.outputExpired) bits |= OUTPUT_EXPIRED;
      if (job.submission) this.submissions.set(r, job.submission);
      this.shape[r] = bits;
    }
    this.problemExtras = extras;
    const interned = { interned: true };
    this.states = stringColumn(n, (r) => jobs[r].state, interned);
    this.fileNames = stringColumn(n, (r) => jobs[r].fileName);
    this.targetFormats = stringColumn(n, (r) => jobs[r].targetFormat, interned);
    this.addedAt = timeColumn(n, (r) => jobs[r].addedAt);
    this.submittedAt = timeColumn(n, (r) => jobs[r].submittedAt);
    this.lastCheckedAt = timeColumn(n, (r) => jobs[r].lastCheckedAt);
    this.lastSeenActiveAt = timeColumn(n, (r) => jobs[r].lastSeenActiveAt);
    this.firstSeenRunningAt = timeColumn(n, (r) => jobs[r].firstSeenRunningAt);
    this.firstSeenTerminalAt = timeColumn(n, (r) => jobs[r].firstSeenTerminalAt);
    this.downloadedAt = timeColumn(n, (r) => jobs[r].downloadedAt);
    this.percent = numberColumn(n, (r) => jobs[r].last?.progress?.percent ?? null);
    this.phase = stringColumn(n, (r) => jobs[r].last?.progress?.phase ?? null, interned);
    this.inputBytes = numberColumn(n, (r) => jobs[r].last?.metrics?.inputBytes ?? null);
    this.outputBytes = numberColumn(n, (r) => jobs[r].last?.metrics?.outputBytes ?? null);
    this.creditCost = numberColumn(n, (r) => jobs[r].last?.metrics?.creditCost ?? null);
    this.errorCode = stringColumn(n, (r) => jobs[r].last?.error?.code ?? null, interned);
    this.errorDetail = stringColumn(n, (r) => jobs[r].last?.error?.detail ?? null, interned);
    this.outputFileName = stringColumn(n, (r) => jobs[r].last?.output?.fileName ?? null);
    this.outputContentType = stringColumn(n, (r) => jobs[r].last?.output?.contentType ?? null, interned);
    this.outputFileCount = numberColumn(n, (r) => jobs[r].last?.output?.fileCount ?? null);
    this.expiryEarliest = timeColumn(n, (r) => jobs[r].expiry?.earliest);
    this.expiryLatest = timeColumn(n, (r) => jobs[r].expiry?.latest);
    this.problemError = stringColumn(n, (r) => jobs[r].problem?.error ?? null, interned);
    this.problemDetail = stringColumn(n, (r) => jobs[r].problem?.detail ?? null, interned);
    this.problemStatus = numberColumn(n, (r) => jobs[r].problem?.status ?? null);
    this.keptAt = timeColumn(n, (r) => jobs[r].kept?.at);
    this.keptUntil = timeColumn(n, (r) => jobs[r].kept?.until);
    this.keptBytes = numberColumn(n, (r) => jobs[r].kept?.bytes ?? null);
    this.keepProblems = stringColumn(n, (r) => jobs[r].keepProblem, interned);
    this.keptFileNames = stringColumn(n, (r) => jobs[r].kept?.fileName ?? null);
  }

  /**
   * These rows with `changes` applied (a job not among them is appended, in order): a new object, as the query
   * cache wants, sharing the columns. Cost: the changed rows, plus a copy of the patch map.
   */
  withChanges(changes: readonly BatchJob[]): BatchJobs {
    if (changes.length === 0) return this;
    const patches = new Map(this.patches ?? []);
    const addedRows = new Map(this.addedRows ?? []);
    let length = this.length;
    const find = (id: string) => addedRows.get(id) ?? this.baseIndexOf(id);
    const touched = new Int32Array(changes.length);
    changes.forEach((job, k) => {
      let row = find(job.id);
      if (row < 0 && job.submission) row = this.takeOver(job, find, addedRows);
      if (row < 0) addedRows.set(job.id, (row = length++));
      patches.set(row, job);
      touched[k] = row;
    });
    // Past half the rows, patch lookups cost more than columns: fold them in (rare: a batch that changed a lot).
    if (patches.size > Math.max(2_048, length / 2)) {
      return new BatchJobs(Array.from({ length }, (_, row) => patches.get(row) ?? this.materialize(row)));
    }
    // The row cache is shared: it holds rows of the columns, which do not change, and patches come first in
    // `job()`. So an unchanged row keeps its object and does not re-render for a change elsewhere.
    const next = Object.create(BatchJobs.prototype) as BatchJobs;
    const history = [...this.history.slice(1 - HISTORY_STEPS), { from: this.version, rows: touched }];
    Object.assign(next, this, { length, patches, addedRows, version: ++versions, history });
    return next;
  }

  /**
   * The rows that may differ between `older` and these (changed in place, or added), when these came from
   * `older` through a few `withChanges` steps; null otherwise (another batch, a fresh load, too far back). Lets
   * counts, filters and sorts over 10,000 rows redo only the rows a pushed change touched.
   */
  changedRowsSince(older: BatchJobs): Int32Array | null {
    if (older === this) return new Int32Array(0);
    const start = this.history.findIndex((step) => step.from === older.version);
    if (start < 0) return null;
    const steps = this.history.slice(start);
    const rows = new Int32Array(steps.reduce((n, step) => n + step.rows.length, 0));
    let at = 0;
    for (const step of steps) {
      rows.set(step.rows, at);
      at += step.rows.length;
    }
    return rows;
  }

  id(row: number): string {
    const patch = this.patches?.get(row);
    return patch ? patch.id : this.ids.get(row);
  }

  /**
   * An uploaded file's row changes its id without leaving its place: the spooled file's row (id = submission id)
   * becomes the upstream's job once it is accepted, and a retried job's row becomes the waiting file again. The
   * new row names the ids it may replace (its submission id, and the jobs of its earlier attempts); the first one
   * still listed gives up its row. So the change arrives as a delta, not as a reload of the batch.
   */
  private takeOver(job: BatchJob, find: (id: string) => number, addedRows: Map<string, number>): number {
    const submission = job.submission!;
    for (const previous of [submission.id, ...submission.history.map((attempt) => attempt.jobId)]) {
      if (previous === null || previous === job.id) continue;
      const row = find(previous);
      if (row < 0) continue;
      addedRows.set(previous, -1);
      addedRows.set(job.id, row);
      return row;
    }
    return -1;
  }

  state(row: number): TrackedState {
    const patch = this.patches?.get(row);
    return patch ? patch.state : (this.states.get(row) as TrackedState);
  }

  fileName(row: number): string | null {
    const patch = this.patches?.get(row);
    return patch ? patch.fileName : this.fileNames.get(row);
  }

  /** `fileName ?? id`, as `displayName` does for a `BatchJob`. */
  displayName(row: number): string {
    return this.fileName(row) ?? this.id(row);
  }

  outputExpired(row: number): boolean {
    const patch = this.patches?.get(row);
    return patch ? patch.outputExpired : (this.shape[row] & OUTPUT_EXPIRED) !== 0;
  }

  /** Whether this server keeps a copy of the output. */
  isKept(row: number): boolean {
    const patch = this.patches?.get(row);
    return patch ? patch.kept !== null : this.keptAt.get(row) !== null;
  }

  /** `Date.parse(addedAt)`: NaN when missing. */
  addedAtMs(row: number): number {
    const patch = this.patches?.get(row);
    if (patch) return Date.parse(patch.addedAt);
    return this.addedAt.get(row) ?? Number.NaN;
  }

  /** As `jobPercent`: 100 for a succeeded job, else the last percent seen, else 0. */
  percentDone(row: number): number {
    if (this.state(row) === 'Succeeded') return 100;
    const patch = this.patches?.get(row);
    if (patch) return patch.last?.progress.percent ?? 0;
    return (this.shape[row] & HAS_LAST) !== 0 ? (this.percent.get(row) ?? 0) : 0;
  }

  /** Observed wait and run times (contract/insight-api.ts `jobTimes`), for the table's columns and sorts. */
  times(row: number): { waitMs: number | null; runMs: number | null } {
    const patch = this.patches?.get(row);
    if (patch) return jobTimesOf(patch);
    return jobTimes({
      state: this.state(row),
      submittedAtMs: this.submittedAt.get(row),
      firstSeenRunningAtMs: this.firstSeenRunningAt.get(row),
      firstSeenTerminalAtMs: this.firstSeenTerminalAt.get(row),
    });
  }

  /** `Date.parse(expiry.earliest)`, or null without an expiry window. */
  expiryEarliestMs(row: number): number | null {
    const patch = this.patches?.get(row);
    if (patch) return patch.expiry ? Date.parse(patch.expiry.earliest) : null;
    return (this.shape[row] & HAS_EXPIRY) !== 0 ? this.expiryEarliest.get(row) : null;
  }

  /** One `indexOf` over all ids instead of one string per row; `needle` is compared as is. */
  rowsWithIdContaining(needle: string): Uint8Array {
    const base = this.ids.rowsContaining(needle);
    if (this.length === this.baseLength && !this.patches) return base;
    const hits = new Uint8Array(this.length);
    hits.set(base);
    // Appended rows, and rows whose id changed in place (an upload accepted upstream).
    for (const [row, job] of this.patches ?? []) hits[row] = job.id.includes(needle) ? 1 : 0;
    return hits;
  }

  /** The row of a job id, or -1. The hash index behind it is built on first use (job page, selection). */
  indexOf(id: string): number {
    return this.addedRows?.get(id) ?? this.baseIndexOf(id);
  }

  /** The row of `id` in the columns, ignoring later changes. */
  private baseIndexOf(id: string): number {
    if (this.baseLength === 0) return -1;
    const table = (this.idIndex ??= this.buildIdIndex());
    const mask = table.length - 1;
    for (let slot = hashId(id) & mask; ; slot = (slot + 1) & mask) {
      const entry = table[slot];
      if (entry === 0) return -1;
      if (this.ids.is(entry - 1, id)) return entry - 1;
    }
  }

  /** Open addressing, at most two-thirds full; a slot holds row + 1 (0 = empty). */
  private buildIdIndex(): Int32Array {
    let size = 16;
    while (size < this.baseLength * 1.5) size *= 2;
    const table = new Int32Array(size);
    const mask = size - 1;
    for (let row = 0; row < this.baseLength; row++) {
      let slot = this.ids.hash(row) & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = row + 1;
    }
    return table;
  }

  /**
   * The row as the wire's `BatchJob` (times as `toISOString()` strings). The same object for the same row while
   * this snapshot is current, so memoised rows do not re-render for nothing.
   */
  job(row: number): BatchJob {
    const patch = this.patches?.get(row);
    if (patch) return patch;
    let job = this.rowCache.get(row);
    if (!job) {
      if (this.rowCache.size >= ROW_CACHE_SIZE) this.rowCache.clear();
      job = this.materialize(row);
      this.rowCache.set(row, job);
    }
    return job;
  }

  /** A fresh `BatchJob` for the row, not cached (for one-off uses over many rows, such as bulk actions). */
  materialize(row: number): BatchJob {
    const patch = this.patches?.get(row);
    if (patch) return { ...patch };
    const bits = this.shape[row];
    return {
      id: this.id(row),
      state: this.state(row),
      fileName: this.fileNames.get(row),
      targetFormat: this.targetFormats.get(row),
      addedAt: isoOrNull(this.addedAt.get(row)) ?? '',
      submittedAt: isoOrNull(this.submittedAt.get(row)),
      last:
        (bits & HAS_LAST) === 0
          ? null
          : {
              progress: { percent: this.percent.get(row) ?? 0, phase: this.phase.get(row) },
              metrics: {
                inputBytes: this.inputBytes.get(row) ?? 0,
                outputBytes: this.outputBytes.get(row) ?? 0,
                creditCost: this.creditCost.get(row) ?? 0,
              },
              error: (bits & HAS_ERROR) === 0 ? null : { code: this.errorCode.get(row) ?? '', detail: this.errorDetail.get(row) },
              output:
                (bits & HAS_OUTPUT) === 0
                  ? null
                  : {
                      fileName: this.outputFileName.get(row) ?? '',
                      contentType: this.outputContentType.get(row) ?? '',
                      fileCount: this.outputFileCount.get(row) ?? 0,
                    },
            },
      lastCheckedAt: isoOrNull(this.lastCheckedAt.get(row)),
      lastSeenActiveAt: isoOrNull(this.lastSeenActiveAt.get(row)),
      firstSeenRunningAt: isoOrNull(this.firstSeenRunningAt.get(row)),
      firstSeenTerminalAt: isoOrNull(this.firstSeenTerminalAt.get(row)),
      downloadedAt: isoOrNull(this.downloadedAt.get(row)),
      outputExpired: (bits & OUTPUT_EXPIRED) !== 0,
      expiry: this.expiry(row, bits),
      problem: (bits & HAS_PROBLEM) === 0 ? null : this.problem(row),
      // Absent for rows not uploaded here (the wire's null and a missing field mean the same).
      ...(this.submissions.has(row) ? { submission: this.submissions.get(row) } : {}),
      kept: this.kept(row),
      keepProblem: this.keepProblems.get(row) as BatchJob['keepProblem'],
    };
  }

  private kept(row: number): BatchJob['kept'] {
    const at = isoOrNull(this.keptAt.get(row));
    if (at === null) return null;
    return { at, until: isoOrNull(this.keptUntil.get(row)) ?? at, bytes: this.keptBytes.get(row) ?? 0, fileName: this.keptFileNames.get(row) };
  }

  /** The facts `contract/outputs.ts` decides a row's view state and receipt from, without materialising it. */
  outputFacts(row: number): OutputFacts {
    const patch = this.patches?.get(row);
    if (patch) return { state: patch.state, expiry: patch.expiry, outputExpired: patch.outputExpired, downloadedAt: patch.downloadedAt, kept: patch.kept };
    const bits = this.shape[row];
    return {
      state: this.state(row),
      expiry: this.expiry(row, bits),
      outputExpired: (bits & OUTPUT_EXPIRED) !== 0,
      downloadedAt: isoOrNull(this.downloadedAt.get(row)),
      kept: this.kept(row),
    };
  }

  private expiry(row: number, bits: number): BatchJob['expiry'] {
    if ((bits & HAS_EXPIRY) === 0) return null;
    const earliest = isoOrNull(this.expiryEarliest.get(row)) ?? '';
    const latest = isoOrNull(this.expiryLatest.get(row));
    if ((bits & EXPIRY_UNKNOWN) === 0) return { earliest, latest: latest ?? '' };
    return latest === null ? { unknown: true, earliest } : { unknown: true, earliest, latest };
  }

  private problem(row: number): Problem {
    const body: ErrorBody = { ...this.problemExtras?.get(row), error: this.problemError.get(row) ?? '', detail: this.problemDetail.get(row) };
    return { ...body, status: this.problemStatus.get(row) ?? 0 };
  }
}

/**
 * What the batch query holds: the snapshot with its jobs in compact form. `revision` (from the live first load)
 * is what `?since=` and the event stream continue from; `checkedAt` is the tracker's latest look at the batch.
 */
export type CompactSnapshot = Omit<BatchSnapshot, 'jobs'> & { jobs: BatchJobs; revision?: number; checkedAt?: string | null };

export function compactSnapshot({ jobs, ...rest }: BatchSnapshot): CompactSnapshot {
  return { ...rest, jobs: new BatchJobs(jobs) };
}

/** `jobTimes` of a job as the wire sends it (ISO times). */
export function jobTimesOf(job: Pick<BatchJob, 'state' | 'submittedAt' | 'firstSeenRunningAt' | 'firstSeenTerminalAt'>): { waitMs: number | null; runMs: number | null } {
  const ms = (iso: string | null | undefined) => (iso ? Date.parse(iso) : null);
  return jobTimes({
    state: job.state,
    submittedAtMs: ms(job.submittedAt),
    firstSeenRunningAtMs: ms(job.firstSeenRunningAt),
    firstSeenTerminalAtMs: ms(job.firstSeenTerminalAt),
  });
}
