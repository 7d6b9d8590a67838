/**
 * The whole polling policy of the app, as pure functions (unit-tested without React).
 *
 * - A batch snapshot is polled fast while any job may still change, slowly while outputs are waiting to expire,
 *   and not at all when nothing can change any more. Hidden tabs do not poll (`refetchIntervalInBackground:
 *   false` in the query), and focus refetches.
 * - A single job's status (job page) is polled every 2 s and stops on a terminal status. The upstream allows
 *   1 request/s per job and the dashboard's tracker polls too, so 2 s leaves room.
 * - While polling there are no retries: the next poll is the retry. A `Retry-After` is honoured.
 */
import { isTerminal, type JobStatus } from '../../contract/status.ts';
import { isChangingState } from '../../contract/tracked-state.ts';
import type { CompactSnapshot } from './batch-jobs.ts';
import { ApiError } from './api-client.ts';

export const FAST_POLL_MS = 1_500;
export const SLOW_POLL_MS = 30_000;
export const JOB_POLL_MS = 2_000;
export const ERROR_POLL_MS = 5_000;
export const MAX_ERROR_POLL_MS = 30_000;

/** Delay before the next poll after an error, honouring Retry-After. */
export function errorPollInterval(error: unknown): number {
  if (error instanceof ApiError && error.retryAfterSeconds !== null) {
    return Math.min(MAX_ERROR_POLL_MS, Math.max(1_000, error.retryAfterSeconds * 1_000));
  }
  return ERROR_POLL_MS;
}

export function snapshotPollInterval(
  snapshot: Pick<CompactSnapshot, 'jobs' | 'upstream'> & { outputs?: CompactSnapshot['outputs'] } | undefined,
  error: unknown = null,
): number | false {
  if (error) return errorPollInterval(error);
  if (!snapshot) return FAST_POLL_MS;
  const { jobs } = snapshot;
  let waitingOutputs = false;
  for (let row = 0; row < jobs.length; row++) {
    const state = jobs.state(row);
    if (isChangingState(state)) return FAST_POLL_MS;
    if (state === 'Succeeded' && !jobs.outputExpired(row)) {
      waitingOutputs = true;
      // The server is keeping this output (server/outputs): its receipt changes within seconds.
      if (snapshot.outputs?.keep && !jobs.isKept(row) && !jobs.job(row).keepProblem) return FAST_POLL_MS;
    }
  }
  // Outputs still waiting to expire: their state changes once, slowly; the countdown ticks locally meanwhile.
  if (waitingOutputs) return SLOW_POLL_MS;
  // A problem (a banner is showing) is watched until it clears. `unknown` is no problem: the server has not asked
  // the upstream anything since it started, which for a finished batch may be never.
  const { state } = snapshot.upstream;
  if (state !== 'ok' && state !== 'unknown') return SLOW_POLL_MS;
  return false;
}

export function batchListPollInterval(hasActive: boolean): number | false {
  return hasActive ? 5_000 : SLOW_POLL_MS;
}

export function jobPollInterval(status: JobStatus | undefined, error: unknown = null): number | false {
  if (error) {
    // A job that is gone or not ours will not come back: stop.
    if (error instanceof ApiError && (error.status === 404 || error.status === 403 || error.status === 400)) return false;
    return errorPollInterval(error);
  }
  if (status === undefined) return JOB_POLL_MS;
  return isTerminal(status) ? false : JOB_POLL_MS;
}

/**
 * Retries for one-off queries: network failures, 5xx, 408 and 429 twice; other 4xx never (they will not change).
 * Polled queries use `retry: false`.
 */
export function shouldRetry(failureCount: number, error: unknown): boolean {
  if (failureCount >= 2) return false;
  if (!(error instanceof ApiError)) return false;
  if (error.status === 0 || error.status >= 500) return true;
  return error.status === 408 || error.status === 429;
}
