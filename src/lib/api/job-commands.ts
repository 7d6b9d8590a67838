import { useMutation, useQueryClient, type QueryClient } from '@tanstack/react-query';
import type { BatchJob } from '../../../contract/dashboard-api.ts';
import { requestJson } from '../api-client.ts';
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

export function useCancelJob() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ jobId }: JobCommandVars) => cancelJob(jobId),
    onSuccess: (_data, vars) => afterCommand(queryClient, vars),
  });
}

export function useDeleteJob() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ jobId }: JobCommandVars) => deleteJob(jobId),
    onSuccess: (_data, vars) => afterCommand(queryClient, vars),
  });
}
