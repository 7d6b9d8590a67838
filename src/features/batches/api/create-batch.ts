import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { CreateBatchRequest, CreateBatchResponse } from '../../../../contract/dashboard-api.ts';
import { requestJson } from '../../../lib/api-client.ts';
import { batchKeys } from '../../../lib/api/query-keys.ts';

export function createBatch(body: CreateBatchRequest): Promise<CreateBatchResponse> {
  return requestJson<CreateBatchResponse>('/api/batches', { method: 'POST', json: body });
}

/** Submits the repo's sample files to the upstream (only conversions it offers) in a new batch. */
export function createDemoBatch(): Promise<CreateBatchResponse> {
  return requestJson<CreateBatchResponse>('/api/batches/demo', { method: 'POST' });
}

export function useCreateBatch() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: createBatch,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: batchKeys.lists() }),
  });
}

export function useCreateDemoBatch() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: createDemoBatch,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: batchKeys.lists() }),
  });
}
