import { queryOptions, useQuery } from '@tanstack/react-query';
import type { BatchListResponse } from '../../../../contract/dashboard-api.ts';
import { CHANGING_STATES, countIn } from '../../../../contract/tracked-state.ts';
import { requestJson } from '../../../lib/api-client.ts';
import { batchListPollInterval } from '../../../lib/polling.ts';
import { batchKeys } from '../../../lib/api/query-keys.ts';

export function getBatches(signal?: AbortSignal): Promise<BatchListResponse> {
  return requestJson<BatchListResponse>('/api/batches', { signal });
}

export function batchesQueryOptions() {
  return queryOptions({
    queryKey: batchKeys.lists(),
    queryFn: ({ signal }) => getBatches(signal),
    retry: false,
    refetchInterval: (query) => {
      const batches = query.state.data?.batches ?? [];
      return batchListPollInterval(batches.some((b) => countIn(b.counts, CHANGING_STATES) > 0));
    },
    refetchIntervalInBackground: false,
  });
}

export function useBatches() {
  return useQuery(batchesQueryOptions());
}
