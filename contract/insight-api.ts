/**
 * Wire types of the operator-insight routes (server/history, server/notify):
 *   GET /api/batches/:batchId/insight        → BatchInsight (history for the charts, ETA, timings, stalls, failure groups)
 *       ?revision=<n>: the batch revision the tab has seen; an insight computed at that revision or later (or,
 *       while jobs remain, any) in the last 4 s may be shared with other tabs (without it: only one computed at
 *       the batch's current revision). Sent gzipped when large and the client takes gzip.
 *   GET /api/batches/:batchId/export.csv     → text/csv, one row per job (`status`, `receipt`, `q` and `stalled=1` as on
 *                                              the batch page: contract/job-filter.ts)
 *   GET /api/batches/:batchId/export.json    → JSON array of ExportRow (same filter)
 *   GET /api/batches/:batchId/jobs/:jobId/insight → ExportRow (one job: its observed wait and run times)
 *   GET /api/insight/totals                  → InsightTotals (across batches)
 */
import type { IsoTime, TrackedState, UpstreamHealth } from './dashboard-api.ts';
import { isFinalState } from './tracked-state.ts';

/** Counts by state over time, as columns: `counts[state][i]` is the count at `t[i]` (ms since the epoch). */
export interface HistorySeries {
  t: number[];
  counts: Partial<Record<TrackedState, number[]>>;
}

export type Eta =
  | { kind: 'done' }
  /** Not enough observed to say anything honest yet. */
  | { kind: 'unknown'; reason: string }
  | { kind: 'stalled'; sinceMs: number; reason: string }
  | {
      kind: 'estimate';
      /** Most likely time left, and a 90 % range around it. */
      remainingMs: number;
      lowMs: number;
      highMs: number;
      /** Completions per minute the estimate rests on. */
      ratePerMinute: number;
      reason: string;
    };

export interface TimingStats {
  /** How many jobs were observed (the percentiles are null below 1). */
  count: number;
  medianMs: number | null;
  p95Ms: number | null;
}

export interface StalledJob {
  jobId: string;
  /** How long its percent and phase have not changed. */
  unchangedMs: number;
  thresholdMs: number;
  /** The threshold, explained (what it was compared with). */
  reason: string;
}

export interface FailureGroup {
  code: string;
  /** Set when this group is one repeated detail text within `code`. */
  detail: string | null;
  count: number;
  exampleJobId: string;
  jobIds: string[];
}

export interface BatchInsight {
  serverTime: IsoTime;
  series: HistorySeries;
  /** Completions (jobs reaching a final state) per minute over the last minutes, from `series`. */
  completionsPerMinute: { t: number[]; count: number[] };
  /** Completions per minute over the last 5 minutes. */
  currentRatePerMinute: number;
  eta: Eta;
  wait: TimingStats;
  run: TimingStats;
  stalled: StalledJob[];
  /** The queue has not moved for a long time while the upstream is healthy (null: it is moving, or nothing waits). */
  queueStalled: { sinceMs: number; reason: string } | null;
  failureGroups: FailureGroup[];
  /** Outputs of this batch whose earliest expiry is within 10 minutes, neither downloaded nor kept. */
  expiringSoon: number;
  /** The rules' numbers, for the explanations in the UI. */
  rules: {
    /** A running job without progress for this long is *Stalled?* while its conversion has too few finished jobs (STALL_DEFAULT_SECONDS). */
    stallDefaultMs: number;
    stallFactor: number;
    stallMinMs: number;
    /** Finished jobs of a conversion needed before their median run time sets its threshold. */
    stallMinSamples: number;
    queueStallMs: number;
    /** Completions needed before an ETA is shown. */
    etaMinCompletions: number;
    /** The ETA says "stalled" after at least this long without a completion. */
    etaStallMinMs: number;
  };
  upstream: UpstreamHealth['state'];
}

/** One job in an export (CSV columns in this order). */
export interface ExportRow {
  id: string;
  file: string | null;
  target: string | null;
  state: TrackedState;
  percent: number;
  phase: string | null;
  errorCode: string | null;
  errorDetail: string | null;
  inputBytes: number;
  outputBytes: number;
  credits: number;
  addedAt: IsoTime;
  submittedAt: IsoTime | null;
  firstSeenRunningAt: IsoTime | null;
  firstSeenFinishedAt: IsoTime | null;
  waitMs: number | null;
  runMs: number | null;
  expiresEarliest: IsoTime | null;
  expiresLatest: IsoTime | null;
  downloadedAt: IsoTime | null;
  /** Whether the server holds a complete copy of the output (server/outputs; one still being fetched is not kept). */
  kept: boolean | null;
}

export const EXPORT_COLUMNS: readonly (keyof ExportRow)[] = [
  'id', 'file', 'target', 'state', 'percent', 'phase', 'errorCode', 'errorDetail', 'inputBytes', 'outputBytes', 'credits',
  'addedAt', 'submittedAt', 'firstSeenRunningAt', 'firstSeenFinishedAt', 'waitMs', 'runMs', 'expiresEarliest',
  'expiresLatest', 'downloadedAt', 'kept',
];

export interface BatchTotals {
  batchId: string;
  name: string;
  active: number;
  failedLastHour: number;
  expiringSoon: number;
}

export interface InsightTotals {
  serverTime: IsoTime;
  active: number;
  failedLastHour: number;
  /** Outputs whose earliest expiry is within 10 minutes, neither downloaded nor kept. */
  expiringSoon: number;
  /** Only batches with something in one of the three. */
  batches: BatchTotals[];
}

/**
 * A job's observed wait (submitted → first seen running) and run (first seen running → first seen finished),
 * in ms; null where it was not observed (pasted ids have no submit time, a job first seen finished no start).
 * The batch's medians, the export, the table's columns and the job page all use this.
 */
export function jobTimes(job: {
  state: TrackedState;
  submittedAtMs: number | null;
  firstSeenRunningAtMs: number | null;
  firstSeenTerminalAtMs: number | null;
}): { waitMs: number | null; runMs: number | null } {
  const started = job.firstSeenRunningAtMs;
  const finished = isFinalState(job.state) ? job.firstSeenTerminalAtMs : null;
  return {
    waitMs: job.submittedAtMs !== null && started !== null ? Math.max(0, started - job.submittedAtMs) : null,
    runMs: started !== null && finished !== null ? Math.max(0, finished - started) : null,
  };
}
