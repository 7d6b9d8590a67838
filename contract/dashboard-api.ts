/**
 * Wire types of the dashboard server's own JSON API under `/api` (server/ ↔ src/).
 * The Convert API's own routes are proxied unchanged under `/convert`.
 *
 * Routes (all JSON; errors use the `{error, detail}` envelope):
 *   GET    /api/config                          → DashboardConfig
 *   GET    /api/batches                         → BatchListResponse
 *   POST   /api/batches                         CreateBatchRequest → 201 CreateBatchResponse
 *   POST   /api/batches/demo                    → 201 CreateBatchResponse (submits the sample files)
 *   GET    /api/batches/:batchId                → BatchSnapshot (weak ETag; `If-None-Match` → 304; the header
 *                                               `X-Server-Time` carries the server's clock on 200 and 304 alike,
 *                                               since a revalidated body's `serverTime` is as old as the body;
 *                                               large bodies are gzipped for clients that accept it, made once
 *                                               per ETag, so their `serverTime` is as old as that too)
 *   PATCH  /api/batches/:batchId                RenameBatchRequest → BatchSummary
 *   DELETE /api/batches/:batchId                → 204 (the batch only; upstream jobs are untouched)
 *   POST   /api/batches/:batchId/ids            AddIdsRequest → AddIdsResponse
 *   POST   /api/batches/:batchId/remove         RemoveIdsRequest → RemoveIdsResponse
 *   POST   /api/batches/:batchId/files?targetFormat=jpg&fileName=<name>[&options=<json>][&uploadKey=<key>]
 *                                               body: the file's bytes (any non-multipart Content-Type, e.g.
 *                                               application/octet-stream), or multipart/form-data with one
 *                                               part `file`. The server spools it (DATA_DIR/spool: written,
 *                                               fsynced, then recorded) and answers before any upstream call
 *                                               → 202 SubmitFileResponse: the batch's new row, state `Waiting`.
 *                                               From that answer on the file is the server's: its feeder
 *                                               sends it upstream (server/submissions/README.md).
 *                                               507 `spool.full` when SPOOL_MAX_GB (or the disk) is full;
 *                                               400 for a bad query; nothing half-written is kept.
 *                                               `uploadKey` (UPLOAD_KEY): the client's name for this file; a
 *                                               second upload with the key of a file the batch already holds
 *                                               (an answer lost to a crash or a dropped connection) is not kept
 *                                               again: 202 with that file's row as it is now
 *   POST   /api/batches/:batchId/retry         RetryRequest → 202 RetryResponse (sends each job's spooled
 *                                               source again, same target and options; the new job takes
 *                                               the row's place and the row keeps its history)
 *   POST   /api/batches/:batchId/dismiss       DismissRequest → DismissResponse (in-doubt or refused rows
 *                                               that have no upstream job: removed, source deleted)
 *   POST   /api/batches/:batchId/jobs/:jobId/refresh → BatchJob (polls upstream now, rate limits permitting)
 *   PUT    /api/batches/:batchId/keep-outputs  KeepOutputsRequest → BatchOutputs (the batch's "Keep outputs" switch)
 *   GET    /api/batches/:batchId/outputs.zip[?ids=a,b…][&status=…&q=…&receipt=…]
 *                                               → 200 application/zip, streamed while it is written: every
 *                                               available output of the batch (or of the listed ids, or of the
 *                                               jobs matching the filter, as the batch page filters), kept
 *                                               copies from disk, the rest from the upstream, plus manifest.csv
 *                                               (OUTPUTS_MANIFEST_COLUMNS; why any job is missing)
 */
import type { Problem } from './errors.ts';
import type { JobStatusResponse } from './job.ts';
import type { RejectReason } from './job-id.ts';
import type { TrackedState } from './tracked-state.ts';

// The states and what each means live in one table (tracked-state.ts); these names stay importable from here.
export { TRACKED_STATES, type StatusCounts, type TrackedState } from './tracked-state.ts';

/** Row ids of spooled files that have no upstream job yet (never valid job ids: `s` is not hex). */
export const SUBMISSION_ID = /^sub_[0-9a-f]{24}$/;
export function isSubmissionId(value: string): boolean {
  return SUBMISSION_ID.test(value);
}

/**
 * A client's key for one file it hands over (`uploadKey`), the same on every attempt to upload that file: a
 * repeat whose first answer was lost does not make a second row, nor a second upstream job.
 */
export const UPLOAD_KEY = /^[A-Za-z0-9_-]{8,64}$/;
export const UPLOAD_KEY_RULE = 'uploadKey must be 8–64 letters, digits, "-" or "_".';

/**
 * What a row shows, and what chips, counts and sorts use: the tracked state, except that a `Succeeded` job whose
 * output the upstream no longer has (a 410, a status without `output`, or its countdown ended) reads `Expired`.
 * Derived (src/features/jobs/expiry.ts `viewState`; the server's summary from what it knows), never stored.
 */
export type ViewState = TrackedState | 'Expired';
export const VIEW_STATES: readonly ViewState[] = [
  'Waiting', 'Sending', 'InDoubt', 'Queued', 'Running', 'Succeeded', 'Expired', 'Failed', 'Canceled', 'Unknown', 'Gone', 'Forbidden',
];
/** Jobs by the state their rows show: `Expired` apart from `Succeeded`. */
export type ViewCounts = Record<ViewState, number>;

/**
 * What became of a job's output, as a row's receipt shows it (several can hold: downloaded and kept):
 * - `notDownloaded`: an output exists (upstream or kept) and nobody downloaded it yet;
 * - `kept`: this server holds a copy (server/outputs) until `kept.until`;
 * - `lost`: the upstream deleted it before it was kept;
 * - `expiringSoon`: upstream copy goes within EXPIRING_SOON_MS and it is neither downloaded nor kept.
 */
export type ReceiptFilter = 'notDownloaded' | 'kept' | 'lost' | 'expiringSoon';
export const RECEIPT_FILTERS: readonly ReceiptFilter[] = ['notDownloaded', 'expiringSoon', 'kept', 'lost'];
export const EXPIRING_SOON_MS = 10 * 60_000;

/** Columns of the `manifest.csv` inside a batch's outputs ZIP, in order. */
export const OUTPUTS_MANIFEST_COLUMNS = ['job_id', 'source_file', 'target', 'status', 'output_name', 'size', 'missing_reason'] as const;

/** Why a job has no kept copy although its batch keeps outputs. */
export type KeepProblem = 'disk_full' | 'failed';

export interface KeptOutput {
  /** When the copy was written. */
  at: IsoTime;
  /** When the copy is deleted (KEEP_OUTPUTS_DAYS after `at`). */
  until: IsoTime;
  bytes: number;
  /** The file name the upstream gave it (its Content-Disposition), when it gave one. */
  fileName: string | null;
}

/** A batch's "Keep outputs" switch and the disk budget they share (all batches together). */
export interface BatchOutputs {
  keep: boolean;
  /** Jobs of this batch not kept because the budget was full. */
  skippedForSpace: number;
  /** Bytes of every kept copy on this server, and the budget (KEEP_OUTPUTS_MAX_GB). */
  usedBytes: number;
  limitBytes: number;
  keepDays: number;
}

export interface KeepOutputsRequest {
  keep: boolean;
}

/** ISO-8601 timestamps as strings, in the server's clock. */
export type IsoTime = string;

export interface ExpiryWindow {
  /** Earliest possible deletion of the output (conservative: use this for countdowns). */
  earliest: IsoTime;
  /** Latest possible deletion. */
  latest: IsoTime;
}

export interface BatchJob {
  /** Canonical 32-hex id; a submission id (`sub_…`, see SUBMISSION_ID) while a spooled file has no job yet. */
  id: string;
  state: TrackedState;
  /** Input file name, when the job was submitted through the dashboard. */
  fileName: string | null;
  targetFormat: string | null;
  addedAt: IsoTime;
  submittedAt: IsoTime | null;
  /** Last status body seen upstream (null until first seen). */
  last: Pick<JobStatusResponse, 'progress' | 'metrics' | 'error' | 'output'> | null;
  lastCheckedAt: IsoTime | null;
  lastSeenActiveAt: IsoTime | null;
  /** When the server first saw it Running (server/history): wait and run times (contract/insight-api.ts). */
  firstSeenRunningAt: IsoTime | null;
  firstSeenTerminalAt: IsoTime | null;
  downloadedAt: IsoTime | null;
  /** The upstream answered 410 at download, or the output disappeared from the status. */
  outputExpired: boolean;
  /**
   * For `Succeeded` jobs: when the output will be deleted upstream. Null when not succeeded.
   * `unknown` when the job was already finished when first seen and nothing bounds its completion.
   *
   * Exact semantics (server/batches/expiry.ts). Completion lies in (lastSeenActiveAt, firstSeenTerminalAt];
   * outputs live `retentionSeconds` after completion.
   * - Window: `earliest = max(lastSeenActiveAt + retention, firstSeenTerminalAt)`,
   *   `latest = firstSeenTerminalAt + retention`. Count down to `earliest` (conservative); the window is
   *   wide when the tracker saw the job rarely (e.g. the server was down while it finished).
   * - `{unknown: true, earliest, latest}`: never seen active (pasted after it finished). `earliest` is
   *   `firstSeenTerminalAt`, the moment it was seen finished: the output may expire at ANY moment from then on,
   *   at the latest at `latest = firstSeenTerminalAt + retention` (always sent by this server).
   * - Regardless of the window, `outputExpired: true` means the output is known to be gone (410 or `output: null`).
   */
  expiry: ExpiryWindow | { unknown: true; earliest: IsoTime; latest?: IsoTime } | null;
  /**
   * The last error the tracker got for this job (403, 404, 429 …), if any; for a spooled file the upstream
   * refused (no job), the refusal.
   */
  problem: Problem | null;
  /** This server's copy of the output, served after the upstream's is gone (server/outputs). */
  kept: KeptOutput | null;
  /** Why the output was not kept (budget full, or fetching it failed). */
  keepProblem: KeepProblem | null;
  /** Present when the row comes from a file uploaded through the dashboard (null for pasted ids). */
  submission?: RowSubmission | null;
}

export interface RowSubmission {
  /** The submission's id: the row's id while it had no job, and the same through every attempt. */
  id: string;
  /** 1 for the first send; each retry adds one. */
  attempt: number;
  /** Earlier attempts, oldest first. */
  history: SubmissionAttempt[];
  /** Whether the spooled source still exists (it can be sent again). */
  sourceKept: boolean;
}

export interface SubmissionAttempt {
  attempt: number;
  /** The upstream job of that attempt, if it got one. */
  jobId: string | null;
  /** How it ended: `Failed`, `Canceled`, `Succeeded` (output expired), `InDoubt`, or `Refused`. */
  outcome: string;
  /** The error code (e.g. `convert.invalid_input`), when there was one. */
  error: string | null;
  at: IsoTime;
}

export interface RetryRequest {
  /** Job ids of the batch (or submission ids of in-doubt / refused rows). */
  jobIds: string[];
}

export interface RetryResponse {
  /** The ids accepted: their rows are `Waiting` again. */
  accepted: string[];
  refused: { jobId: string; reason: string }[];
}

export interface DismissRequest {
  ids: string[];
}

export interface DismissResponse {
  dismissed: string[];
}

export interface BatchSummary {
  id: string;
  name: string;
  createdAt: IsoTime;
  jobCount: number;
  /** By ViewState: Succeeded jobs whose upstream output is known to be gone count as `Expired`. */
  counts: ViewCounts;
  /** Succeeded jobs whose output can still be downloaded (upstream, or a kept copy). */
  outputsReady: number;
  /** Mean percent over the batch's jobs (terminal jobs count as 100). */
  progressPercent: number;
  inputBytes: number;
  outputBytes: number;
  credits: number;
}

/** A problem with the upstream as a whole (not one job): shown once, as a banner. */
export interface UpstreamHealth {
  /** `restarting`: the bundled Convert service died and is being started again (the dashboard stays up). */
  state: 'ok' | 'unauthorized' | 'unreachable' | 'rate_limited' | 'restarting' | 'unknown';
  /** The last whole-upstream error, e.g. 401 `api_key.invalid_or_ip_not_allowed`. */
  error: Problem | null;
  since: IsoTime | null;
}

export interface BatchSnapshot {
  batch: BatchSummary;
  outputs: BatchOutputs;
  jobs: BatchJob[];
  upstream: UpstreamHealth;
  /** The server's clock when the snapshot was made; clients correct their countdowns by it. */
  serverTime: IsoTime;
  retentionSeconds: number;
}

export interface BatchListResponse {
  batches: BatchSummary[];
  upstream: UpstreamHealth;
  serverTime: IsoTime;
}

export interface CreateBatchRequest {
  name: string;
  /** Optional text to extract ids from (see AddIdsRequest). */
  ids?: string;
}

export interface AddIdsRequest {
  /** Any text: one id per line, comma/space separated, CSV, JSON, log lines. */
  text: string;
}

export interface AddIdsResponse {
  /** Ids newly added to the batch. */
  added: string[];
  /** Ids that were valid but already in the batch or repeated in the text. */
  duplicates: number;
  rejected: { token: string; reason: RejectReason }[];
}

export interface CreateBatchResponse {
  batch: BatchSummary;
  ids: AddIdsResponse | null;
  /** Demo batches only: what happened to each sample file (a job id, or the upstream's error). */
  submissions?: DemoSubmission[];
}

export interface DemoSubmission {
  file: string;
  targetFormat: string;
  jobId: string | null;
  /** Why it was not submitted (`demo.unsupported_pair` when the upstream does not offer the pair). */
  error: Problem | null;
}

export interface RenameBatchRequest {
  name: string;
}

export interface RemoveIdsRequest {
  ids: string[];
}

export interface RemoveIdsResponse {
  removed: number;
}

/** 202 from `POST /api/batches/:id/files`: the file is spooled; `job` is its row (state `Waiting`). */
export interface SubmitFileResponse {
  job: BatchJob;
}

export interface DashboardConfig {
  /** `bundled` when the embedded convert-api is the upstream, else the upstream's origin. */
  upstream: string;
  retentionSeconds: number;
}
