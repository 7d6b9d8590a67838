import { queryOptions, useQuery } from '@tanstack/react-query';
import type { JobStatusResponse } from '../../../../contract/job.ts';
import { requestJson } from '../../../lib/api-client.ts';
import { jobPollInterval } from '../../../lib/polling.ts';
import { jobKeys } from '../../../lib/api/query-keys.ts';

/** The upstream status, through the dashboard's same-origin proxy. */
export function getJob(jobId: string, signal?: AbortSignal): Promise<JobStatusResponse> {
  return requestJson<JobStatusResponse>(`/convert/job/${encodeURIComponent(jobId)}`, { signal });
}

export function jobQueryOptions(jobId: string) {
  return queryOptions({
    queryKey: jobKeys.detail(jobId),
    queryFn: ({ signal }) => getJob(jobId, signal),
    retry: false,
    refetchInterval: (query) => jobPollInterval(query.state.data?.status, query.state.error),
    refetchIntervalInBackground: false,
  });
}

export function useJob(jobId: string, enabled = true) {
  return useQuery({ ...jobQueryOptions(jobId), enabled });
}
