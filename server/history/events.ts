/** What happened to a batch that someone not looking at it wants to hear about (server/notify sends them). */
import type { StatusCounts } from '../../contract/dashboard-api.ts';

export type BatchEventKind = 'batch_finished' | 'first_failure' | 'outputs_expiring';

export interface BatchEvent {
  kind: BatchEventKind;
  batchId: string;
  batchName: string;
  at: number;
  jobCount: number;
  counts: Partial<StatusCounts>;
  /** `first_failure`: the failed job and its error code (never file contents). */
  failure?: { jobId: string; code: string | null };
  /** `outputs_expiring`: how many, and when the first of them may go. */
  expiring?: { count: number; earliestAt: number; jobIds: string[] };
}
