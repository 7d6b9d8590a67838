import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { AddIdsResponse, RemoveIdsResponse } from '../../../contract/dashboard-api.ts';
import { requestJson } from '../api-client.ts';
import { batchKeys } from './query-keys.ts';

/** `text` is anything an operator pastes (lines, CSV, JSON, logs); the server extracts the ids. */
export function addIds(batchId: string, text: string): Promise<AddIdsResponse> {
  return requestJson<AddIdsResponse>(`/api/batches/${encodeURIComponent(batchId)}/ids`, { method: 'POST', json: { text } });
}

export function removeIds(batchId: string, ids: string[]): Promise<RemoveIdsResponse> {
  return requestJson<RemoveIdsResponse>(`/api/batches/${encodeURIComponent(batchId)}/remove`, { method: 'POST', json: { ids } });
}

function useInvalidateBatch() {
  const queryClient = useQueryClient();
  return (batchId: string) =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: batchKeys.detail(batchId) }),
      queryClient.invalidateQueries({ queryKey: batchKeys.lists() }),
    ]);
}

export function useAddIds(batchId: string) {
  const invalidate = useInvalidateBatch();
  return useMutation({
    mutationFn: (text: string) => addIds(batchId, text),
    onSuccess: () => invalidate(batchId),
  });
}

export function useRemoveIds(batchId: string) {
  const invalidate = useInvalidateBatch();
  return useMutation({
    mutationFn: (ids: string[]) => removeIds(batchId, ids),
    onSuccess: () => invalidate(batchId),
  });
}
