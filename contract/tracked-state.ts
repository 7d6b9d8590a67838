/**
 * The dashboard's job states and what each one means, in one table. Adding a state is one entry here; the
 * compiler then points at every other table keyed by state (labels and colours, actions, sort order …) that
 * must decide what to do with it. The sets below, the batch counts and the store's SQL are derived from it.
 */
import type { JobStatus } from './status.ts';

export interface StateInfo {
  /** The tracker asks the Convert API about it; false means the state is final for the tracker. */
  polled: boolean;
  /** The state may still change by itself: the UI polls fast while a job is in it. */
  changing: boolean;
  /** Counts as "done" in a batch's "N of M done" (the job ran to an end of its own). */
  done: boolean;
  /**
   * Counts towards a batch's mean progress. Gone (deleted, or unknown to the upstream) and Forbidden (another
   * account's) jobs are no work of this batch: a batch of ids that never existed is not "100% done".
   */
  measured: boolean;
}

/** In display order (status filter, stacked bar, legend). Every upstream status must have an entry. */
export const STATE_INFO = {
  /** A file spooled by the dashboard, not yet sent upstream (its row id is a submission id, server/submissions). */
  Waiting: { polled: false, changing: true, done: false, measured: true },
  /** Being sent upstream right now. */
  Sending: { polled: false, changing: true, done: false, measured: true },
  /**
   * The server stopped while sending it: the upstream may or may not have it, so it is never sent again by
   * itself ("Send again" or "Dismiss").
   */
  InDoubt: { polled: false, changing: false, done: false, measured: true },
  Queued: { polled: true, changing: true, done: false, measured: true },
  Running: { polled: true, changing: true, done: false, measured: true },
  Succeeded: { polled: false, changing: false, done: true, measured: true },
  Failed: { polled: false, changing: false, done: true, measured: true },
  Canceled: { polled: false, changing: false, done: true, measured: true },
  /** Added but not yet seen upstream. */
  Unknown: { polled: true, changing: true, done: false, measured: true },
  /** The upstream answered 404 (deleted, or never existed for this key). */
  Gone: { polled: false, changing: false, done: false, measured: false },
  /** The upstream answered 403 (belongs to another account). */
  Forbidden: { polled: false, changing: false, done: false, measured: false },
} as const satisfies Record<JobStatus, StateInfo> & Record<string, StateInfo>;

/** What the dashboard knows of a job's state: the five upstream statuses plus the dashboard's own. */
export type TrackedState = keyof typeof STATE_INFO;

export const TRACKED_STATES = Object.keys(STATE_INFO) as TrackedState[];

function statesWhere(flag: keyof StateInfo, value = true): readonly TrackedState[] {
  return TRACKED_STATES.filter((state) => STATE_INFO[state][flag] === value);
}

/** States the tracker still polls upstream. */
export const POLLED_STATES = statesWhere('polled');
/** States the tracker no longer polls. */
export const FINAL_STATES = statesWhere('polled', false);
export const CHANGING_STATES = statesWhere('changing');
export const DONE_STATES = statesWhere('done');
export const MEASURED_STATES = statesWhere('measured');

export function isTrackedState(value: unknown): value is TrackedState {
  return typeof value === 'string' && Object.hasOwn(STATE_INFO, value);
}

export function isFinalState(state: TrackedState): boolean {
  return !STATE_INFO[state].polled;
}

export function isChangingState(state: TrackedState): boolean {
  return STATE_INFO[state].changing;
}

export function countsTowardsProgress(state: TrackedState): boolean {
  return STATE_INFO[state].measured;
}

/** A batch's job count per state. */
export type StatusCounts = Record<TrackedState, number>;

export function emptyCounts(): StatusCounts {
  return Object.fromEntries(TRACKED_STATES.map((state) => [state, 0])) as StatusCounts;
}

/** How many of the counted jobs are in one of `states`. */
export function countIn(counts: StatusCounts, states: readonly TrackedState[]): number {
  let n = 0;
  for (const state of states) n += counts[state];
  return n;
}
