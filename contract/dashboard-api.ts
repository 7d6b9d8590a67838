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
 *   POST   /api/batches/:batchId/files?targetFormat=jpg&fileName=<name>[&options=<json>]
 *                                               body: the file's bytes (any non-multipart Content-Type, e.g.
 *                                               application/octet-stream), or multipart/form-data with one
 *                                               part `file`. The server spools it (DATA_DIR/spool: written,
 *                                               fsynced, then recorded) and answers before any upstream call
 *                                               → 202 SubmitFileResponse: the batch's new row, state `Waiting`.
 *                                               From that answer on the file is the server's: its feeder
 *                                               sends it upstream (server/submissions/README.md).
 *                                               507 `spool.full` when SPOOL_MAX_GB (or the disk) is full;
 *                                               400 for a bad query; nothing half-written is kept
 *   POST   /api/batches/:batchId/retry         RetryRequest → 202 RetryResponse (sends each job's spooled
 *                                               source again, same target and options; the new job takes
 *                                               the row's place and the row keeps its history)
 *   POST   /api/batches/:batchId/dismiss       DismissRequest → DismissResponse (in-doubt or refused rows
 *                                               that have no upstream job: removed, source deleted)
 *   POST   /api/batches/:batchId/jobs/:jobId/refresh → BatchJob (polls upstream now, rate limits permitting)
 */
import type { Problem } from './errors.ts';
import type { JobStatusResponse } from './job.ts';
import type { RejectReason } from './job-id.ts';
import type { StatusCounts, TrackedState } from './tracked-state.ts';

// The states and what each means live in one table (tracked-state.ts); these names stay importable from here.
export { TRACKED_STATES, type StatusCounts, type TrackedState } from './tracked-state.ts';

/** Row ids of spooled files that have no upstream job yet (never valid job ids: `s` is not hex). */
export const SUBMISSION_ID = /^sub_[0-9a-f]{24}$/;
export function isSubmissionId(value: string): boolean {
  return SUBMISSION_ID.test(value);
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
  counts: StatusCounts;
  /** Succeeded jobs whose output still exists. */
  outputsReady: number;
  /** Mean percent over the batch's jobs (terminal jobs count as 100). */
  progressPercent: number;
  inputBytes: number;
  outputBytes: number;
  credits: number;
}

/** A problem with the upstream as a whole (not one job): shown once, as a banner. */
export interface UpstreamHealth {
  state: 'ok' | 'unauthorized' | 'unreachable' | 'rate_limited' | 'unknown';
  /** The last whole-upstream error, e.g. 401 `api_key.invalid_or_ip_not_allowed`. */
  error: Problem | null;
  since: IsoTime | null;
}

export interface BatchSnapshot {
  batch: BatchSummary;
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
