import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { BatchSummary } from '../../../../contract/dashboard-api.ts';
import { requestJson } from '../../../lib/api-client.ts';
import { batchKeys } from '../../../lib/api/query-keys.ts';

export function renameBatch(batchId: string, name: string): Promise<BatchSummary> {
  return requestJson<BatchSummary>(`/api/batches/${encodeURIComponent(batchId)}`, { method: 'PATCH', json: { name } });
}

/** Deletes the batch only; the upstream jobs are untouched. */
export function deleteBatch(batchId: string): Promise<void> {
  return requestJson<void>(`/api/batches/${encodeURIComponent(batchId)}`, { method: 'DELETE' });
}

export function useRenameBatch() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ batchId, name }: { batchId: string; name: string }) => renameBatch(batchId, name),
    onSuccess: (_data, { batchId }) =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: batchKeys.lists() }),
        queryClient.invalidateQueries({ queryKey: batchKeys.detail(batchId) }),
      ]),
  });
}

export function useDeleteBatch() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (batchId: string) => deleteBatch(batchId),
    onSuccess: (_data, batchId) => {
      queryClient.removeQueries({ queryKey: batchKeys.detail(batchId) });
      return queryClient.invalidateQueries({ queryKey: batchKeys.lists() });
    },
  });
}
