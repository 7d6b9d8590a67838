import type { UpstreamHealth } from '../../../contract/dashboard-api.ts';
import { ErrorCode } from '../../../contract/errors.ts';
import { ApiError } from '../../lib/api-client.ts';
import { LIVE_STREAM_DROPPED, describeError, type ErrorMessage } from '../../lib/error-messages.ts';

export interface FreshnessInput {
  /** The last fetch of the batch failed (the dashboard server is down, or answered an error): `query.error`. */
  error: unknown;
  /** The live stream dropped and no fetch has succeeded since (the page polls meanwhile). */
  streamDropped?: boolean;
  /** The live stream dropped earlier and polling took over successfully. */
  polling?: boolean;
  /** The upstream's health as the server last saw it (the snapshot's `upstream`). */
  upstream: Pick<UpstreamHealth, 'state'>;
  /** The tab is visible (hidden tabs do not poll). */
  visible: boolean;
  /** Something in the batch may still change (`snapshotPollInterval` is not false). */
  changing: boolean;
  /** The batch lists at least one job. */
  hasJobs: boolean;
}

export interface FreshnessView {
  /** The word beside the dot: "Live", "Final", "Reconnecting…", "Not updating" … */
  label: string;
  tone: 'live' | 'final' | 'paused' | 'warning' | 'error';
  /**
   * Set when what the page shows may be out of date; counts and bars are then drawn as stale. `reason`: why, as
   * the sentence of error-messages.ts, unless a page banner already says it (network lost, upstream problems).
   */
  stale: { reason: ErrorMessage | null } | null;
}

/**
 * What the freshness line says, from the dashboard's own connection first (nothing newer can arrive while it
 * is lost) and then the upstream's health (the server cannot learn anything new while the upstream refuses its
 * key or cannot be reached): "Live" only when both are well.
 */
export function freshnessView({ error, streamDropped = false, polling = false, upstream, visible, changing, hasJobs }: FreshnessInput): FreshnessView {
  if (error) {
    // A lost connection has the layout's banner; any other failure of the fetch is said here.
    const banner = error instanceof ApiError && error.code === ErrorCode.networkError;
    return { label: 'Reconnecting…', tone: 'warning', stale: { reason: banner ? null : describeError(error) } };
  }
  if (streamDropped) return { label: 'Reconnecting…', tone: 'warning', stale: { reason: LIVE_STREAM_DROPPED } };
  switch (upstream.state) {
    case 'unauthorized':
      // The upstream banner says why.
      return { label: 'Not updating', tone: 'error', stale: { reason: null } };
    case 'unreachable':
    case 'restarting':
      return { label: 'Not updating', tone: 'warning', stale: { reason: null } };
    case 'rate_limited':
      return { label: 'Slowed (rate limited)', tone: 'warning', stale: null };
    case 'ok':
    case 'unknown':
      break;
  }
  if (!visible) return { label: 'Paused (tab hidden)', tone: 'paused', stale: null };
  // An empty batch is waiting for ids or files, not finished.
  if (changing || !hasJobs) return { label: polling ? 'Live (polling)' : 'Live', tone: 'live', stale: null };
  return { label: 'Final', tone: 'final', stale: null };
}
