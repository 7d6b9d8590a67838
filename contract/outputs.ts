/**
 * The rules of an output's life that the batch page and the server's ZIP route must agree on, as pure
 * functions of a job and the server's clock: when a countdown ends, what a row's state reads (`Expired`), and
 * what its receipt says (downloaded / kept / lost / expiring soon). The page counts and filters with these, the
 * server selects "Download all" entries with these: a chip and the ZIP it offers cannot disagree.
 */
import { EXPIRING_SOON_MS, type BatchJob, type ReceiptFilter, type ViewState } from './dashboard-api.ts';

/**
 * Most job ids one "Download all" URL may list (`?ids=`): 33 characters each with its comma, so the URL stays
 * within browsers' and Node's limits (16 KiB). A bigger selection is downloaded by filter instead.
 */
export const MAX_ZIP_IDS = 400;

export type OutputFacts = Pick<BatchJob, 'state' | 'expiry' | 'outputExpired' | 'downloadedAt' | 'kept'>;

/**
 * The moment (server clock, ms) a countdown runs to: the earliest possible deletion of a known window, the
 * latest one of an unknown window. Past it, the upstream's copy counts as gone.
 */
export function countdownTargetMs(job: Pick<BatchJob, 'expiry'>): number | null {
  if (!job.expiry) return null;
  const target = Date.parse(('unknown' in job.expiry ? job.expiry.latest : job.expiry.earliest) ?? '');
  return Number.isNaN(target) ? null : target;
}

/** Whether the upstream's copy is gone: known (410, `output: null`) or its countdown ended. */
export function upstreamOutputGone(job: Pick<BatchJob, 'state' | 'expiry' | 'outputExpired'>, serverNow: number): boolean {
  if (job.state !== 'Succeeded') return false;
  if (job.outputExpired) return true;
  const target = countdownTargetMs(job);
  return target !== null && target <= serverNow;
}

/** What the row's state reads, and what chips count and sorts order by. */
export function viewState(job: Pick<BatchJob, 'state' | 'expiry' | 'outputExpired'>, serverNow: number): ViewState {
  return upstreamOutputGone(job, serverNow) ? 'Expired' : job.state;
}

/** Whether the output can still be downloaded: from the upstream before its countdown ends, or a kept copy. */
export function outputReady(job: OutputFacts, serverNow: number): boolean {
  return job.state === 'Succeeded' && (job.kept !== null || !upstreamOutputGone(job, serverNow));
}

export function matchesReceipt(job: OutputFacts, filter: ReceiptFilter, serverNow: number): boolean {
  switch (filter) {
    case 'notDownloaded':
      return outputReady(job, serverNow) && job.downloadedAt === null;
    case 'kept':
      return job.kept !== null;
    case 'lost':
      return job.kept === null && upstreamOutputGone(job, serverNow);
    case 'expiringSoon': {
      if (job.kept !== null || job.downloadedAt !== null || upstreamOutputGone(job, serverNow)) return false;
      const target = countdownTargetMs(job);
      return target !== null && target - serverNow <= EXPIRING_SOON_MS;
    }
  }
}

/**
 * The next moment (server clock) at which any of these jobs changes state, receipt or "ready" by the clock
 * alone: a countdown ending, or entering the "expiring soon" window. Null when none will.
 */
export function nextOutputChangeMs(targets: Iterable<number>, serverNow: number): number | null {
  let next: number | null = null;
  for (const target of targets) {
    for (const at of [target - EXPIRING_SOON_MS, target]) if (at > serverNow && (next === null || at < next)) next = at;
  }
  return next;
}
