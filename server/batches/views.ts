/** Store rows → the wire types of contract/dashboard-api.ts. */
import type { BatchJob, BatchSummary, StatusCounts, SubmissionAttempt, ViewCounts } from '../../contract/dashboard-api.ts';
import { TRACKED_STATES, countsTowardsProgress, emptyCounts } from '../../contract/tracked-state.ts';
import { parseJson, toLastStatus } from '../../contract/upstream-body.ts';
import { ErrorCode } from '../../contract/errors.ts';
import { expiryWindow, iso } from './expiry.ts';
import type { BatchJobRow, BatchRow, BatchStore, JobRow, SummaryRow } from './store.ts';

export type SummaryFields = Pick<JobRow, 'state' | 'has_output' | 'output_expired' | 'kept_at' | 'percent' | 'input_bytes' | 'output_bytes' | 'credits'>;

export function toBatchJob(row: BatchJobRow, retentionSeconds: number): BatchJob {
  return {
    id: row.id,
    state: row.state,
    fileName: row.file_name,
    targetFormat: row.target_format,
    addedAt: iso(row.link_added_at),
    submittedAt: isoOrNull(row.submitted_at),
    last: row.last_json === null ? null : toLastStatus(parseJson(row.last_json), row.percent),
    lastCheckedAt: isoOrNull(row.last_checked_at),
    lastSeenActiveAt: isoOrNull(row.last_seen_active_at),
    firstSeenRunningAt: isoOrNull(row.first_running_at ?? null),
    firstSeenTerminalAt: isoOrNull(row.first_seen_terminal_at),
    downloadedAt: isoOrNull(row.downloaded_at),
    outputExpired: row.output_expired === 1,
    expiry: expiryWindow(row.state, row.last_seen_active_at, row.first_seen_terminal_at, retentionSeconds),
    // Deleted here wins over a later 404 of the same job (the refresh after the delete records one).
    problem: deletedProblem(row) ?? (row.problem_json === null ? null : ((parseJson(row.problem_json) as BatchJob['problem'] | undefined) ?? null)),
    submission:
      row.sub_attempt === null || row.sub_attempt === undefined
        ? null
        : {
            id: row.submission_id!,
            attempt: row.sub_attempt,
            history: (parseJson(row.sub_history ?? '[]') as SubmissionAttempt[] | undefined) ?? [],
            sourceKept: row.sub_source === 1,
          },
    kept:
      row.kept_at === null
        ? null
        : { at: iso(row.kept_at), until: iso(row.kept_until ?? row.kept_at), bytes: row.kept_bytes ?? 0, fileName: dispositionFileName(row.kept_disposition) },
    keepProblem: row.keep_problem,
  };
}

/** A job deleted through this dashboard says so, rather than "the Convert API does not know this job". */
function deletedProblem(row: BatchJobRow): BatchJob['problem'] {
  if (row.state !== 'Gone' || row.deleted_at === null) return null;
  return { error: ErrorCode.jobDeleted, detail: `Deleted at ${iso(row.deleted_at)}.`, status: 404 };
}

export function summaryFromRow(row: SummaryRow): BatchSummary {
  return {
    id: row.id,
    name: row.name,
    createdAt: iso(row.created_at),
    jobCount: row.job_count,
    counts: withExpired(Object.fromEntries(TRACKED_STATES.map((state) => [state, row[`count_${state}`]])) as StatusCounts, row.expired),
    outputsReady: row.outputs_ready,
    progressPercent: percentOf(row.percent_sum, row.measured),
    inputBytes: row.input_bytes,
    outputBytes: row.output_bytes,
    credits: row.credits,
  };
}

/** The same numbers as the list's SQL aggregate, computed in the snapshot's single pass over its rows. */
export function summaryFromJobs(batch: BatchRow, rows: readonly SummaryFields[]): BatchSummary {
  const counts = emptyCounts();
  let expired = 0;
  let outputsReady = 0;
  let percentSum = 0;
  let measured = 0;
  let inputBytes = 0;
  let outputBytes = 0;
  let credits = 0;
  for (const r of rows) {
    // The same rules as the SQL aggregate in store.ts: Expired is a Succeeded job whose upstream output is gone.
    counts[r.state]++;
    if (r.state === 'Succeeded' && r.output_expired === 1) expired++;
    if (r.state === 'Succeeded' && ((r.has_output === 1 && r.output_expired === 0) || r.kept_at !== null)) outputsReady++;
    if (countsTowardsProgress(r.state)) {
      percentSum += r.percent;
      measured++;
    }
    inputBytes += r.input_bytes;
    outputBytes += r.output_bytes;
    credits += r.credits;
  }
  return {
    id: batch.id,
    name: batch.name,
    createdAt: iso(batch.created_at),
    jobCount: rows.length,
    counts: withExpired(counts, expired),
    outputsReady,
    progressPercent: percentOf(percentSum, measured),
    inputBytes,
    outputBytes,
    credits,
  };
}

function percentOf(sum: number, count: number): number {
  return count === 0 ? 0 : Math.round((sum / count) * 10) / 10;
}

/** `attachment; filename*=UTF-8''a%20b.jpg` or `filename="a b.jpg"` → `a b.jpg`. */
export function dispositionFileName(value: string | null): string | null {
  if (!value) return null;
  const extended = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(value);
  if (extended) {
    try {
      return decodeURIComponent(extended[1].trim());
    } catch {
      // fall through to the plain parameter
    }
  }
  const plain = /filename\s*=\s*(?:"([^"]*)"|([^;]+))/i.exec(value);
  return plain ? (plain[1] ?? plain[2]).trim() || null : null;
}

/** Succeeded jobs whose upstream output is known to be gone count as Expired, not Succeeded (ViewState). */
function withExpired(counts: StatusCounts, expired: number): ViewCounts {
  return { ...counts, Succeeded: counts.Succeeded - expired, Expired: expired };
}

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : iso(ms);
}

/**
 * The batch list, with each batch's aggregate recomputed only when its revision moved: listing many big,
 * finished batches costs one small query.
 */
export function createSummaryCache(store: BatchStore) {
  const cache = new Map<string, { revision: number; summary: BatchSummary }>();
  return {
    list(): BatchSummary[] {
      const batches = store.listBatches();
      const seen = new Set<string>();
      const out = batches.map((b) => {
        seen.add(b.id);
        const hit = cache.get(b.id);
        if (hit && hit.revision === b.revision) return hit.summary;
        const row = store.summary(b.id);
        const summary = row ? summaryFromRow(row) : summaryFromJobs(b, []);
        cache.set(b.id, { revision: b.revision, summary });
        return summary;
      });
      for (const id of cache.keys()) if (!seen.has(id)) cache.delete(id);
      return out;
    },
  };
}
