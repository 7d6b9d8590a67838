import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { BatchOutputs } from '../../../../contract/dashboard-api.ts';
import { requestJson } from '../../../lib/api-client.ts';
import { batchKeys } from '../../../lib/api/query-keys.ts';

/** The batch's "Keep outputs" switch. */
export function setKeepOutputs(batchId: string, keep: boolean): Promise<BatchOutputs> {
  return requestJson<BatchOutputs>(`/api/batches/${encodeURIComponent(batchId)}/keep-outputs`, { method: 'PUT', json: { keep } });
}

export function useSetKeepOutputs(batchId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (keep: boolean) => setKeepOutputs(batchId, keep),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: batchKeys.detail(batchId) }),
  });
}
