import { TRACKED_STATES, type BatchJob, type TrackedState } from '../../../contract/dashboard-api.ts';

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
    status: status && (TRACKED_STATES as readonly string[]).includes(status) ? (status as TrackedState) : null,
    query: params.get('q') ?? '',
    sort: sort && sort in SORTS ? (sort as JobSort) : 'added',
  };
}

export function displayName(job: Pick<BatchJob, 'id' | 'fileName'>): string {
  return job.fileName ?? job.id;
}

export function jobPercent(job: BatchJob): number {
  if (job.state === 'Succeeded') return 100;
  return job.last?.progress.percent ?? 0;
}

export function filterJobs(jobs: BatchJob[], { status, query }: Pick<JobViewState, 'status' | 'query'>): BatchJob[] {
  const needle = query.trim().toLowerCase().replaceAll('-', '');
  if (!status && !needle) return jobs;
  return jobs.filter(
    (job) =>
      (!status || job.state === status) &&
      (!needle || job.id.includes(needle) || (job.fileName?.toLowerCase().includes(query.trim().toLowerCase()) ?? false)),
  );
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
};

function expiresAt(job: BatchJob): number {
  if (job.state !== 'Succeeded' || !job.expiry || job.outputExpired) return Number.POSITIVE_INFINITY;
  return Date.parse(job.expiry.earliest);
}

/** A new array; the snapshot's order (the order jobs were added) breaks ties. */
export function sortJobs(jobs: BatchJob[], sort: JobSort): BatchJob[] {
  const indexed = jobs.map((job, index) => ({ job, index }));
  const by: Record<JobSort, (a: BatchJob, b: BatchJob) => number> = {
    added: (a, b) => Date.parse(b.addedAt) - Date.parse(a.addedAt),
    status: (a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state],
    progress: (a, b) => jobPercent(b) - jobPercent(a),
    expires: (a, b) => expiresAt(a) - expiresAt(b),
    name: (a, b) => displayName(a).localeCompare(displayName(b)),
  };
  const compare = by[sort];
  indexed.sort((a, b) => compare(a.job, b.job) || a.index - b.index);
  return indexed.map((entry) => entry.job);
}
