/** What the /api route handlers share: built once by service.ts. */
import type { FastifyReply } from 'fastify';
import { errorBody } from '../../contract/errors.ts';
import type { BatchOutputs, UpstreamHealth } from '../../contract/dashboard-api.ts';
import type { Clock } from '../tracker/clock.ts';
import type { Tracker } from '../tracker/tracker.ts';
import type { UpstreamClient } from '../upstream.ts';
import type { BatchStore, JobLimits } from './store.ts';
import type { LiveContext } from '../live/routes.ts';

export interface BatchContext {
  store: BatchStore;
  tracker: Tracker;
  upstream: UpstreamClient;
  clock: Clock;
  retentionSeconds: number;
  samplesDir: string;
  upstreamLabel: string;
  limits: JobLimits;
  health(): UpstreamHealth;
  /** A snapshot of the batch was read: its jobs get the shorter "viewed" poll cap. */
  markViewed(batchId: string): void;
  /**
   * Ids newly listed in a batch: start tracking those not yet final. `spreadOver` (default: `ids.length`)
   * is the size of the whole paste when it is handed over in parts.
   */
  jobsListed(ids: readonly string[], spreadOver?: number): void;
  /** Ids no longer listed in any batch: stop tracking them. */
  jobsUnlisted(ids: readonly string[]): void;
  /** The batch's "Keep outputs" switch and the kept outputs' disk budget (server/outputs). */
  outputs(batchId: string): BatchOutputs;
  /** Deltas, event streams and what tabs show (server/live). */
  live: LiveContext;
  /** A batch is about to be deleted (server/submissions drops its waiting files and sources). */
  batchDeleting?(batchId: string): void;
}

/** Sends the `{error, detail}` envelope. */
export function sendError(
  reply: FastifyReply,
  status: number,
  code: string,
  detail: string | null,
  extra?: Record<string, unknown>,
): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send(errorBody(code, detail, extra));
}
