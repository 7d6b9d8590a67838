import type { BatchJob, TrackedState } from '../../../contract/dashboard-api.ts';
import { isTrackedState } from '../../../contract/tracked-state.ts';
import type { BatchJobs } from '../batches/batch-jobs.ts';

export const SORTS = {
  added: 'Added (newest first)',
  status: 'Status',
  progress: 'Progress',
  expires: 'Expires soonest',
  name: 'Name',
} as const;
export type JobSort = keyof typeof SORTS;

export interface JobViewState {
  status: TrackedState | null;
  query: string;
  sort: JobSort;
}

export function parseJobView(params: URLSearchParams): JobViewState {
  const status = params.get('status');
  const sort = params.get('sort');
  return {
    status: isTrackedState(status) ? status : null,
    query: params.get('q') ?? '',
    sort: sort && sort in SORTS ? (sort as JobSort) : 'added',
  };
}

export function displayName(job: Pick<BatchJob, 'id' | 'fileName'>): string {
  return job.fileName ?? job.id;
}

/**
 * A job's accessible name in a batch, as its row shows it: "clip.mp4 → gif". One file sent to two targets is two
 * rows, and "Cancel clip.mp4" would name two buttons; ids are unique as they are.
 */
export function jobLabel(job: Pick<BatchJob, 'id' | 'fileName' | 'targetFormat'>): string {
  return job.fileName !== null && job.targetFormat !== null ? `${job.fileName} → ${job.targetFormat}` : displayName(job);
}

export function jobPercent(job: BatchJob): number {
  if (job.state === 'Succeeded') return 100;
  return job.last?.progress.percent ?? 0;
}

/**
 * The rows (positions in the snapshot) that match the status filter and the search: the id contains the query
 * without dashes, or the file name contains it, case-insensitively. A typed array of row numbers, not a second
 * list of jobs.
 */
export function filterRows(jobs: BatchJobs, { status, query }: Pick<JobViewState, 'status' | 'query'>): Uint32Array {
  const trimmed = query.trim().toLowerCase();
  const needle = trimmed.replaceAll('-', '');
  const idHits = needle ? jobs.rowsWithIdContaining(needle) : null;
  const rows = new Uint32Array(jobs.length);
  let count = 0;
  for (let row = 0; row < jobs.length; row++) {
    if (status && jobs.state(row) !== status) continue;
    if (idHits && idHits[row] === 0 && !(jobs.fileName(row)?.toLowerCase().includes(trimmed) ?? false)) continue;
    rows[count++] = row;
  }
  return count === rows.length ? rows : rows.slice(0, count);
}

const STATE_ORDER: Record<TrackedState, number> = {
  Failed: 0,
  Forbidden: 1,
  Gone: 2,
  Running: 3,
  Queued: 4,
  Unknown: 5,
  Succeeded: 6,
  Canceled: 7,
  InDoubt: 0.5,
  Sending: 3.5,
  Waiting: 4.5,
};

function expiresAt(jobs: BatchJobs, row: number): number {
  if (jobs.state(row) !== 'Succeeded' || jobs.outputExpired(row)) return Number.POSITIVE_INFINITY;
  return jobs.expiryEarliestMs(row) ?? Number.POSITIVE_INFINITY;
}

/** Sorted in place and returned; the snapshot's order (the order jobs were added) breaks ties. */
export function sortRows(jobs: BatchJobs, rows: Uint32Array, sort: JobSort): Uint32Array {
  if (sort === 'name') {
    const names: string[] = [];
    for (const row of rows) names[row] = jobs.displayName(row);
    return rows.sort((a, b) => names[a].localeCompare(names[b]) || a - b);
  }
  // One number per row, computed once rather than in every comparison.
  const keys = new Float64Array(jobs.length);
  for (const row of rows) {
    keys[row] =
      sort === 'added'
        ? -jobs.addedAtMs(row)
        : sort === 'status'
          ? STATE_ORDER[jobs.state(row)]
          : sort === 'progress'
            ? -jobs.percentDone(row)
            : expiresAt(jobs, row);
  }
  // Often already in order (a batch pasted at once, sorted newest first, has one `addedAt`): skip the sort.
  let ordered = true;
  for (let k = 1; k < rows.length && ordered; k++) ordered = keys[rows[k - 1]] < keys[rows[k]] || (keys[rows[k - 1]] === keys[rows[k]] && rows[k - 1] < rows[k]);
  return ordered ? rows : rows.sort((a, b) => keys[a] - keys[b] || a - b);
}

/** What the table shows: filtered, then sorted. */
export function visibleRows(jobs: BatchJobs, view: Pick<JobViewState, 'status' | 'query' | 'sort'>): Uint32Array {
  return sortRows(jobs, filterRows(jobs, view), view.sort);
}
