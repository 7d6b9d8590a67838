/**
 * Live batches on the wire: the compact row form of `BatchJob`, the changes pushed over a batch's event stream,
 * and the streamed first load.
 *
 * Routes (see contract/dashboard-api.ts for the others):
 *   GET  /api/batches/:batchId?since=<revision>  → BatchDelta (only the jobs changed after `since`), or
 *                                                  `{reset: true, revision}` when that cannot be told (a job was
 *                                                  removed since, or the tab is too far behind): load afresh
 *   GET  /api/batches/:batchId?rows=ndjson       → the snapshot as NDJSON: one `SnapshotHead` line, then lines
 *                                                  of up to ROWS_PER_LINE rows (`JobRow[]`), so the page draws
 *                                                  the first rows while the rest arrives
 *   GET  /api/batches/:batchId/events?since=<revision>
 *                                                → text/event-stream; resumable with `Last-Event-ID` (a revision).
 *                                                  `event: delta` (id = its `to`, data = BatchDelta),
 *                                                  `event: reset` (data = {revision}: load afresh),
 *                                                  `event: meta` (data = LiveMeta; also as the heartbeat)
 *   POST /api/batches/:batchId/view  ViewRequest → 204: what one tab shows, polled first by the tracker
 */
import type { BatchJob, BatchOutputs, BatchSummary, IsoTime, UpstreamHealth } from './dashboard-api.ts';

/**
 * The order of a job's fields in a `JobRow`. Adding a field to `BatchJob` means one line here (the type check
 * below refuses a field that is missing); the encoder, the decoder and every route follow.
 */
export const JOB_FIELDS = [
  'id',
  'state',
  'fileName',
  'targetFormat',
  'addedAt',
  'submittedAt',
  'last',
  'lastCheckedAt',
  'lastSeenActiveAt',
  'firstSeenRunningAt',
  'firstSeenTerminalAt',
  'downloadedAt',
  'outputExpired',
  'expiry',
  'problem',
  'kept',
  'keepProblem',
  'submission',
] as const satisfies readonly (keyof BatchJob)[];

type Unlisted = Exclude<keyof BatchJob, (typeof JOB_FIELDS)[number]>;
// A compile error here names a BatchJob field that JOB_FIELDS lacks.
const everyFieldListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyFieldListed;

/** A job as an array of its values in `JOB_FIELDS` order: the keys are sent once per message, not per job. */
export type JobRow = unknown[];

export function encodeJobRow(job: BatchJob): JobRow {
  return JOB_FIELDS.map((field) => job[field]);
}

export function decodeJobRow(row: JobRow, fields: readonly string[] = JOB_FIELDS): BatchJob {
  const job: Record<string, unknown> = {};
  for (let i = 0; i < fields.length; i++) job[fields[i]] = row[i] ?? null;
  return job as unknown as BatchJob;
}

/** Facts of the batch as a whole that change without its revision moving. */
export interface LiveMeta {
  revision: number;
  upstream: UpstreamHealth;
  serverTime: IsoTime;
  /** The tracker's latest answer about any job of the batch: "checked N s ago" is a batch-level fact. */
  checkedAt: IsoTime | null;
  /** The batch's "Keep outputs" switch and the kept outputs' disk budget (server/outputs). */
  outputs: BatchOutputs;
}

/** The jobs that changed after revision `from`, as of revision `to` (= LiveMeta.revision). */
export interface BatchDelta extends LiveMeta {
  from: number;
  batch: BatchSummary;
  /** `JOB_FIELDS` as the server sent them (a newer server may send more; unknown ones are kept as they are). */
  fields: readonly string[];
  /** Changed and added jobs, in the batch's order; a job not yet in the tab's rows is appended. */
  jobs: JobRow[];
}

export interface DeltaReset {
  reset: true;
  revision: number;
}

export type DeltaAnswer = BatchDelta | DeltaReset;

export function isDeltaReset(answer: DeltaAnswer): answer is DeltaReset {
  return 'reset' in answer && answer.reset;
}

/** First line of a streamed snapshot. */
export interface SnapshotHead extends LiveMeta {
  batch: BatchSummary;
  retentionSeconds: number;
  fields: readonly string[];
  /** Rows that follow, in lines of up to ROWS_PER_LINE. */
  total: number;
}

export const ROWS_PER_LINE = 2_000;

/** A revision as sent in `?since=`, `?revision=` or `Last-Event-ID`: a non-negative integer; null when it is not one. */
export function parseRevision(value: unknown): number | null {
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value.trim())) return null;
  return Number(value.trim());
}

/**
 * The event stream (`GET /api/batches/{id}/events`) sends the batch's meta at least this often, changed or not: a
 * heartbeat that keeps proxies from closing it and lets a tab notice a stream that went silent.
 */
export const HEARTBEAT_MS = 15_000;

export interface ViewRequest {
  /** One id per open tab (random, made by the tab): a later request of the same tab replaces its earlier one. */
  tab: string;
  /** The jobs the tab shows (visible rows, or the job of a job page); at most MAX_VIEW_IDS. */
  ids: string[];
}

export const MAX_VIEW_IDS = 500;
