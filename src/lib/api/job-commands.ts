import { useMutation, useQueryClient, type QueryClient } from '@tanstack/react-query';
import type { BatchJob } from '../../../contract/dashboard-api.ts';
import { ApiError, requestJson } from '../api-client.ts';
import { batchKeys, jobKeys } from './query-keys.ts';

export function cancelJob(jobId: string): Promise<void> {
  return requestJson<void>(`/convert/job/${encodeURIComponent(jobId)}/cancel`, { method: 'POST' });
}

export function deleteJob(jobId: string): Promise<void> {
  return requestJson<void>(`/convert/job/${encodeURIComponent(jobId)}`, { method: 'DELETE' });
}

/** Asks the tracker to look at the job now, so the batch shows the result of an action without waiting. */
export function refreshBatchJob(batchId: string, jobId: string): Promise<BatchJob> {
  return requestJson<BatchJob>(
    `/api/batches/${encodeURIComponent(batchId)}/jobs/${encodeURIComponent(jobId)}/refresh`,
    { method: 'POST' },
  );
}

export interface JobCommandVars {
  jobId: string;
  batchId?: string;
}

async function afterCommand(queryClient: QueryClient, { jobId, batchId }: JobCommandVars) {
  // Refresh failures (rate limits) are fine: the tracker catches up on its next poll.
  if (batchId) await refreshBatchJob(batchId, jobId).catch(() => undefined);
  await Promise.all([
    queryClient.invalidateQueries({ queryKey: jobKeys.detail(jobId) }),
    queryClient.invalidateQueries({ queryKey: batchId ? batchKeys.detail(batchId) : batchKeys.all }),
    queryClient.invalidateQueries({ queryKey: batchKeys.lists() }),
  ]);
}

/** A 409 means the job moved on (it finished, or was canceled elsewhere) before the command arrived. */
function lostRace(error: unknown): boolean {
  return error instanceof ApiError && error.status === 409;
}

export function useCancelJob() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ jobId }: JobCommandVars) => cancelJob(jobId),
    onSuccess: (_data, vars) => afterCommand(queryClient, vars),
    // Lost the race: show the job's real state at once, not a Queued row with its Cancel button for seconds.
    onError: (error, vars) => (lostRace(error) ? afterCommand(queryClient, vars) : undefined),
  });
}

export function useDeleteJob() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ jobId }: JobCommandVars) => deleteJob(jobId),
    onSuccess: (_data, vars) => afterCommand(queryClient, vars),
    onError: (error, vars) => (lostRace(error) ? afterCommand(queryClient, vars) : undefined),
  });
}
