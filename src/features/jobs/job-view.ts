import {
  RECEIPT_FILTERS,
  VIEW_STATES,
  type BatchJob,
  type ReceiptFilter,
  type ViewCounts,
  type ViewState,
} from '../../../contract/dashboard-api.ts';
import { countdownTargetMs, matchesReceipt, nextOutputChangeMs, outputReady, viewState } from '../../../contract/outputs.ts';
import { parseSearch } from '../../../contract/job-filter.ts';
import { emptyCounts } from '../../../contract/tracked-state.ts';
import type { BatchJobs } from '../../lib/batch-jobs.ts';

export const SORTS = {
  added: 'Added (newest first)',
  status: 'Status',
  progress: 'Progress',
  expires: 'Expires soonest',
  name: 'Name',
  wait: 'Wait (longest first)',
  run: 'Run (longest first)',
} as const;
export type JobSort = keyof typeof SORTS;

/** Table columns shown on request (`?cols=wait,run`), with the sort that orders by each. */
export const OPTIONAL_COLUMNS = {
  wait: { label: 'Wait', description: 'Wait: submitted → first seen running' },
  run: { label: 'Run', description: 'Run: first seen running → first seen finished' },
} as const satisfies Record<string, { label: string; description: string }>;
export type OptionalColumn = keyof typeof OPTIONAL_COLUMNS & JobSort;

export interface JobViewState {
  status: ViewState | null;
  /** A receipt chip: not downloaded yet, expiring soon, kept, lost. */
  receipt: ReceiptFilter | null;
  query: string;
  sort: JobSort;
  /** Optional columns shown, in table order. */
  columns: OptionalColumn[];
  /** Only the jobs judged *Stalled?* (server/history/rules.ts). */
  stalled: boolean;
}

export function parseJobView(params: URLSearchParams): JobViewState {
  const status = params.get('status');
  const sort = params.get('sort');
  const receipt = params.get('receipt');
  return {
    status: status && (VIEW_STATES as readonly string[]).includes(status) ? (status as ViewState) : null,
    receipt: receipt && (RECEIPT_FILTERS as readonly string[]).includes(receipt) ? (receipt as ReceiptFilter) : null,
    query: params.get('q') ?? '',
    sort: sort && sort in SORTS ? (sort as JobSort) : 'added',
    columns: (Object.keys(OPTIONAL_COLUMNS) as OptionalColumn[]).filter((c) => (params.get('cols') ?? '').split(',').includes(c)),
    stalled: params.get('stalled') === '1',
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
 * The rows (positions in the snapshot) that match the page's filter: contract/job-filter.ts `matchesJobFilter`
 * (the rule the export and the ZIP use), evaluated on the columns, with the id search done once over all ids.
 * A typed array of row numbers, not a second list of jobs.
 */
export function filterRows(
  jobs: BatchJobs,
  { status, query, receipt = null, only = null }: Pick<JobViewState, 'status' | 'query'> & { receipt?: ReceiptFilter | null; only?: ReadonlySet<string> | null },
  serverNow = Date.now(),
): Uint32Array {
  const search = parseSearch(query);
  const idHits = search && search.idNeedle !== '' ? jobs.rowsWithIdContaining(search.idNeedle) : null;
  const rows = new Uint32Array(jobs.length);
  let count = 0;
  for (let row = 0; row < jobs.length; row++) {
    if (only && !only.has(jobs.id(row))) continue;
    if (status && viewStateOf(jobs, row, serverNow) !== status) continue;
    if (receipt && !matchesReceipt(jobs.outputFacts(row), receipt, serverNow)) continue;
    if (search && !(idHits !== null && idHits[row] === 1) && !(jobs.fileName(row)?.toLowerCase().includes(search.text) ?? false)) continue;
    rows[count++] = row;
  }
  return count === rows.length ? rows : rows.slice(0, count);
}

/**
 * Whether a row passes the filter, as `filterRows` decides it, for the few rows a change touched; null when
 * every row does.
 */
function rowMatcher(
  jobs: BatchJobs,
  { status, query, receipt, only }: { status: ViewState | null; query: string; receipt: ReceiptFilter | null; only: ReadonlySet<string> | null },
  serverNow: number,
): ((row: number) => boolean) | null {
  const search = parseSearch(query);
  if (!status && !receipt && !search && !only) return null;
  return (row) => {
    if (only && !only.has(jobs.id(row))) return false;
    if (status && viewStateOf(jobs, row, serverNow) !== status) return false;
    if (receipt && !matchesReceipt(jobs.outputFacts(row), receipt, serverNow)) return false;
    if (!search) return true;
    return (search.idNeedle !== '' && jobs.id(row).includes(search.idNeedle)) || (jobs.fileName(row)?.toLowerCase().includes(search.text) ?? false);
  };
}

const STATE_ORDER: Record<ViewState, number> = {
  Failed: 0,
  Forbidden: 1,
  Gone: 2,
  Running: 3,
  Queued: 4,
  Unknown: 5,
  Succeeded: 6,
  Expired: 7,
  Canceled: 8,
  InDoubt: 0.5,
  Sending: 3.5,
  Waiting: 4.5,
};

/** A row's state as shown (contract/outputs.ts `viewState`); only Succeeded rows need the output's facts. */
export function viewStateOf(jobs: BatchJobs, row: number, serverNow: number): ViewState {
  const state = jobs.state(row);
  return state === 'Succeeded' ? viewState(jobs.outputFacts(row), serverNow) : state;
}

export interface OutputSummary {
  /** Jobs by the state their rows show (Expired apart from Succeeded). */
  counts: ViewCounts;
  /** Outputs that can still be downloaded (upstream before its countdown ends, or kept): "N of M ready". */
  ready: number;
  receipts: Record<ReceiptFilter, number>;
  /** Server-clock moment when one of these numbers changes by the clock alone, or null. */
  nextChangeMs: number | null;
}

/**
 * The header's and the chips' numbers, from the rows themselves and the same rules (contract/outputs.ts), so
 * they agree with the rows at every moment; recomputed when the snapshot changes or `nextChangeMs` comes.
 */
export function outputSummary(jobs: BatchJobs, serverNow: number, previous?: ComputedFor<OutputSummary>): OutputSummary {
  if (previous) {
    const updated = updateOutputSummary(previous, jobs, serverNow);
    if (updated) return updated;
  }
  const counts: ViewCounts = { ...emptyCounts(), Expired: 0 };
  const receipts: Record<ReceiptFilter, number> = { notDownloaded: 0, expiringSoon: 0, kept: 0, lost: 0 };
  const targets: number[] = [];
  let ready = 0;
  for (let row = 0; row < jobs.length; row++) {
    const state = jobs.state(row);
    if (state !== 'Succeeded') {
      counts[state]++;
      continue;
    }
    const facts = jobs.outputFacts(row);
    counts[viewState(facts, serverNow)]++;
    if (outputReady(facts, serverNow)) ready++;
    for (const filter of RECEIPT_FILTERS) if (matchesReceipt(facts, filter, serverNow)) receipts[filter]++;
    const target = countdownTargetMs(facts);
    if (target !== null && !facts.outputExpired) targets.push(target);
  }
  return { counts, ready, receipts, nextChangeMs: nextOutputChangeMs(targets, serverNow) };
}

/** A result over a version of the rows at a moment, which the next version may carry forward. */
export interface ComputedFor<T> {
  jobs: BatchJobs;
  serverNow: number;
  /** The first moment after `serverNow` at which a row changes by the clock alone (`OutputSummary.nextChangeMs`). */
  nextChangeMs: number | null;
  value: T;
}

/** Whether no row changed by the clock alone between the previous result's moment and `serverNow`. */
function clockSteady(previous: ComputedFor<unknown>, serverNow: number): boolean {
  return serverNow >= previous.serverNow && (previous.nextChangeMs === null || serverNow < previous.nextChangeMs);
}

/**
 * The summary carried forward by the rows a pushed change touched, instead of a pass over all of them; null
 * when that is not possible (not a later version of the same rows, a countdown passed, or a touched row is or
 * was Succeeded, whose countdown moves the next clock change).
 */
function updateOutputSummary(previous: ComputedFor<OutputSummary>, jobs: BatchJobs, serverNow: number): OutputSummary | null {
  const changed = jobs.changedRowsSince(previous.jobs);
  if (!changed || !clockSteady(previous, serverNow)) return null;
  const before = previous.jobs;
  for (const row of changed) {
    if (jobs.state(row) === 'Succeeded' || (row < before.length && before.state(row) === 'Succeeded')) return null;
  }
  const counts = { ...previous.value.counts };
  let moved = false;
  // A row touched twice is counted once: the changed list may name it in several steps.
  for (const row of new Set(changed)) {
    const was = row < before.length ? before.state(row) : null;
    if (was === jobs.state(row)) continue;
    if (was !== null) counts[was]--;
    counts[jobs.state(row)]++;
    moved = true;
  }
  // The same object when only percents moved: the header and chips do not re-render for it.
  return moved ? { ...previous.value, counts } : previous.value;
}

/**
 * The visible rows carried forward when no touched row changed whether it shows or where it sorts (a percent
 * moving under the default sort): the same array, so the table does not redo its layout. Null when it must be
 * computed afresh.
 */
function updateVisibleRows(previous: ComputedFor<Uint32Array>, jobs: BatchJobs, view: VisibleView, serverNow: number): Uint32Array | null {
  const changed = jobs.changedRowsSince(previous.jobs);
  if (!changed || !clockSteady(previous, serverNow)) return null;
  const before = previous.jobs;
  // Wait and run times move with states and times the sort key below does not read: computed afresh.
  if (view.sort === 'wait' || view.sort === 'run') return null;
  const filter = { status: view.status, query: view.query, receipt: view.receipt ?? null, only: view.only ?? null };
  const was = rowMatcher(before, filter, previous.serverNow);
  const is = rowMatcher(jobs, filter, serverNow);
  for (const row of changed) {
    if (row >= before.length) return null;
    if ((was?.(row) ?? true) !== (is?.(row) ?? true)) return null;
    if (sortKey(before, row, view.sort, previous.serverNow) !== sortKey(jobs, row, view.sort, serverNow)) return null;
  }
  return previous.value;
}

function sortKey(jobs: BatchJobs, row: number, sort: JobSort, serverNow: number): number | string {
  switch (sort) {
    case 'name':
      return jobs.displayName(row);
    case 'added':
      return -jobs.addedAtMs(row);
    case 'status':
      return STATE_ORDER[viewStateOf(jobs, row, serverNow)];
    case 'progress':
      return -jobs.percentDone(row);
    case 'expires':
      return expiresAt(jobs, row);
    case 'wait':
    case 'run':
      return Number.NaN;
  }
}

function expiresAt(jobs: BatchJobs, row: number): number {
  if (jobs.state(row) !== 'Succeeded' || jobs.outputExpired(row) || jobs.isKept(row)) return Number.POSITIVE_INFINITY;
  return jobs.expiryEarliestMs(row) ?? Number.POSITIVE_INFINITY;
}

/** Sorted in place and returned; the snapshot's order (the order jobs were added) breaks ties. */
export function sortRows(jobs: BatchJobs, rows: Uint32Array, sort: JobSort, serverNow = Date.now()): Uint32Array {
  if (sort === 'name') {
    const names: string[] = [];
    for (const row of rows) names[row] = jobs.displayName(row);
    return rows.sort((a, b) => names[a].localeCompare(names[b]) || a - b);
  }
  // One number per row, computed once rather than in every comparison.
  const keys = new Float64Array(jobs.length);
  if (sort === 'wait' || sort === 'run') {
    // Longest first; jobs whose time was not observed last.
    for (const row of rows) {
      const ms = sort === 'wait' ? jobs.times(row).waitMs : jobs.times(row).runMs;
      keys[row] = ms === null ? Number.POSITIVE_INFINITY : -ms;
    }
    return rows.sort((a, b) => keys[a] - keys[b] || a - b);
  }
  for (const row of rows) {
    keys[row] =
      sort === 'added'
        ? -jobs.addedAtMs(row)
        : sort === 'status'
          ? STATE_ORDER[viewStateOf(jobs, row, serverNow)]
          : sort === 'progress'
            ? -jobs.percentDone(row)
            : expiresAt(jobs, row);
  }
  // Often already in order (a batch pasted at once, sorted newest first, has one `addedAt`): skip the sort.
  let ordered = true;
  for (let k = 1; k < rows.length && ordered; k++) ordered = keys[rows[k - 1]] < keys[rows[k]] || (keys[rows[k - 1]] === keys[rows[k]] && rows[k - 1] < rows[k]);
  return ordered ? rows : rows.sort((a, b) => keys[a] - keys[b] || a - b);
}

type VisibleView = Pick<JobViewState, 'status' | 'query' | 'sort'> & { receipt?: ReceiptFilter | null; only?: ReadonlySet<string> | null };

/**
 * What the table shows: filtered, then sorted. `previous`: the rows shown for an earlier version of `jobs` with
 * the same view, carried forward when the change allows (see `updateVisibleRows`).
 */
export function visibleRows(jobs: BatchJobs, view: VisibleView, serverNow = Date.now(), previous?: ComputedFor<Uint32Array>): Uint32Array {
  if (previous) {
    const updated = updateVisibleRows(previous, jobs, view, serverNow);
    if (updated) return updated;
  }
  return sortRows(jobs, filterRows(jobs, view, serverNow), view.sort, serverNow);
}
