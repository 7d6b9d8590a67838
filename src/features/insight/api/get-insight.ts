import { queryOptions, useQuery } from '@tanstack/react-query';
import type { BatchInsight, ExportRow, InsightTotals } from '../../../../contract/insight-api.ts';
import { requestJson } from '../../../lib/api-client.ts';
import { insightKeys } from './query-keys.ts';

/** While jobs remain the charts and the ETA move every few seconds; a finished batch changes no more. */
const ACTIVE_INTERVAL_MS = 5_000;
const IDLE_INTERVAL_MS = 60_000;

export function getInsight(batchId: string, signal?: AbortSignal): Promise<BatchInsight> {
  return requestJson<BatchInsight>(`/api/batches/${encodeURIComponent(batchId)}/insight`, { signal });
}

/**
 * `batchChanging`: the page's batch has jobs that may still change. An insight that said "done" (an empty batch,
 * say) is then polled at the active pace again, so files added since show in the charts and failure groups.
 */
export function insightQueryOptions(batchId: string, batchChanging = false) {
  return queryOptions({
    queryKey: insightKeys.batch(batchId),
    queryFn: ({ signal }) => getInsight(batchId, signal),
    retry: false,
    refetchInterval: (query) => (!batchChanging && query.state.data?.eta.kind === 'done' ? IDLE_INTERVAL_MS : ACTIVE_INTERVAL_MS),
    refetchIntervalInBackground: true,
  });
}

export function useInsight(batchId: string) {
  return useQuery(insightQueryOptions(batchId));
}

function selectStalls(insight: BatchInsight): Pick<BatchInsight, 'stalled' | 'rules'> {
  return { stalled: insight.stalled, rules: insight.rules };
}

/**
 * The same query (one fetch), narrowed to the *Stalled?* jobs and the rule's numbers: the job table and its chip
 * re-render when those change, not on every poll that moved the charts.
 */
export function useInsightStalls(batchId: string, batchChanging = false) {
  return useQuery({ ...insightQueryOptions(batchId, batchChanging), select: selectStalls });
}

export function getInsightTotals(signal?: AbortSignal): Promise<InsightTotals> {
  return requestJson<InsightTotals>('/api/insight/totals', { signal });
}

export function insightTotalsQueryOptions() {
  return queryOptions({
    queryKey: insightKeys.totals(),
    queryFn: ({ signal }) => getInsightTotals(signal),
    retry: false,
    refetchInterval: 15_000,
    refetchIntervalInBackground: false,
  });
}

export function useInsightTotals() {
  return useQuery(insightTotalsQueryOptions());
}

export function getJobInsight(batchId: string, jobId: string, signal?: AbortSignal): Promise<ExportRow> {
  return requestJson<ExportRow>(`/api/batches/${encodeURIComponent(batchId)}/jobs/${encodeURIComponent(jobId)}/insight`, { signal });
}

export function useJobInsight(batchId: string, jobId: string) {
  return useQuery({
    queryKey: insightKeys.job(batchId, jobId),
    queryFn: ({ signal }) => getJobInsight(batchId, jobId, signal),
    retry: false,
    refetchInterval: (query) => (query.state.data?.firstSeenFinishedAt ? false : 5_000),
  });
}
