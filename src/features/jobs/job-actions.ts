import type { TrackedState } from '../../../contract/dashboard-api.ts';

export type JobAction = 'download' | 'cancel' | 'delete' | 'remove';

/**
 * Which actions a job offers, by state: one table instead of nested ifs. `download` is further limited to jobs
 * whose output exists and has not expired; `remove` only applies inside a batch.
 */
export const ACTIONS_BY_STATE: Record<TrackedState, readonly JobAction[]> = {
  Queued: ['cancel', 'remove'],
  Running: ['cancel', 'remove'],
  Succeeded: ['download', 'delete', 'remove'],
  Failed: ['delete', 'remove'],
  Canceled: ['delete', 'remove'],
  Unknown: ['remove'],
  Gone: ['remove'],
  Forbidden: ['remove'],
  // No upstream job yet: nothing to cancel or delete upstream (a waiting file leaves with its batch).
  Waiting: [],
  Sending: [],
  InDoubt: [],
};

export interface ActionContext {
  state: TrackedState;
  /** The last status carries an `output`. */
  hasOutput: boolean;
  /**
   * The output is gone or may be: seen expired upstream, or the expiry countdown has reached its target (in
   * the server's clock). Offering the link after that only leads to a 410.
   */
  outputExpired: boolean;
  inBatch: boolean;
  /** This server keeps a copy: downloadable whatever the upstream says (the proxy serves it after a 410). */
  kept?: boolean;
}

export function actionsFor({ state, hasOutput, outputExpired, inBatch, kept = false }: ActionContext): JobAction[] {
  return ACTIONS_BY_STATE[state].filter((action) => {
    if (action === 'download') return kept || (hasOutput && !outputExpired);
    if (action === 'remove') return inBatch;
    return true;
  });
}
