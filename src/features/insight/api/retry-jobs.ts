import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { RetryResponse } from '../../../../contract/dashboard-api.ts';
import { requestJson } from '../../../lib/api-client.ts';
import { batchKeys } from '../../../lib/api/query-keys.ts';
import { insightKeys } from './query-keys.ts';


/** The submissions feature's retry (server/submissions): jobs whose source file is still on the server are sent again. */
export function retryJobs(batchId: string, jobIds: readonly string[]): Promise<RetryResponse> {
  return requestJson<RetryResponse>(`/api/batches/${encodeURIComponent(batchId)}/retry`, { method: 'POST', json: { jobIds } });
}

export function useRetryJobs(batchId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (jobIds: readonly string[]) => retryJobs(batchId, jobIds),
    onSuccess: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: batchKeys.detail(batchId) }),
        queryClient.invalidateQueries({ queryKey: insightKeys.batch(batchId) }),
      ]),
  });
}
