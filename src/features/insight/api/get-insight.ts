import { queryOptions, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import type { BatchInsight, ExportRow, InsightTotals } from '../../../../contract/insight-api.ts';
import { requestJson } from '../../../lib/api-client.ts';
import { batchKeys } from '../../../lib/api/query-keys.ts';
import type { SnapshotData } from '../../../lib/live-snapshot.ts';
import { insightKeys } from './query-keys.ts';

/** While jobs remain the charts and the ETA move every few seconds; a finished batch changes no more. */
const ACTIVE_INTERVAL_MS = 5_000;
const IDLE_INTERVAL_MS = 60_000;

/** `revision`: the batch revision this tab has seen, so the server may answer with an insight other tabs share. */
export function getInsight(batchId: string, signal?: AbortSignal, revision?: number): Promise<BatchInsight> {
  const query = revision === undefined ? '' : `?revision=${revision}`;
  return requestJson<BatchInsight>(`/api/batches/${encodeURIComponent(batchId)}/insight${query}`, { signal });
}

export function insightQueryOptions(batchId: string) {
  return queryOptions({
    queryKey: insightKeys.batch(batchId),
    queryFn: ({ signal, client }) =>
      getInsight(batchId, signal, client.getQueryData<SnapshotData>(batchKeys.detail(batchId))?.snapshot.revision ?? undefined),
    retry: false,
  });
}

/**
 * The panel's readers. They do not poll: every observer with a `refetchInterval` keeps its own timer, and the
 * page's three readers and `useInsightStalls` fetched a 10,000-job batch's insight every 2 s instead of every 5 s
 * (bench:ui-live). The batch page's `useInsightStalls` is the one poller.
 */
export function useInsight(batchId: string) {
  return useQuery(insightQueryOptions(batchId));
}

function selectStalls(insight: BatchInsight): Pick<BatchInsight, 'stalled' | 'rules'> {
  return { stalled: insight.stalled, rules: insight.rules };
}

/**
 * The same query (one fetch), narrowed to the *Stalled?* jobs and the rule's numbers: the job table and its chip
 * re-render when those change, not on every poll that moved the charts. Mounted by the batch page as long as it
 * is open, this observer is the insight's one poller.
 */
export function useInsightStalls(batchId: string) {
  return useQuery({
    ...insightQueryOptions(batchId),
    select: selectStalls,
    refetchInterval: (query) => (query.state.data?.eta.kind === 'done' ? IDLE_INTERVAL_MS : ACTIVE_INTERVAL_MS),
    refetchIntervalInBackground: true,
  });
}

/** Refetches after a change of the batch's counts come at most this often (a big batch changes every second). */
const FOLLOW_GAP_MS = 2_000;

/**
 * Fetches the insight again when the batch's counts change (a pushed delta or a poll of the batch) while it polls
 * slowly (it said the batch is done): files added to a finished batch show in the charts and failure groups
 * within seconds. While jobs remain it polls every 5 s by itself. `countsKey` is any value that changes with the
 * counts.
 */
export function useInsightFollowsBatch(batchId: string, countsKey: string | null) {
  const client = useQueryClient();
  const previous = useRef(countsKey);
  useEffect(() => {
    if (countsKey === null || previous.current === countsKey) return;
    const first = previous.current === null;
    previous.current = countsKey;
    // The batch's first load comes with the insight's own first fetch.
    if (first) return;
    const key = insightKeys.batch(batchId);
    // While jobs remain the insight polls every ACTIVE_INTERVAL_MS anyway: fetching it on every change as well made
    // each tab of a busy 10,000-job batch ask for it every 2 s (bench:ui-live). A finished batch's slow poll is
    // what this is for.
    if (client.getQueryData<BatchInsight>(key)?.eta.kind !== 'done') return;
    // No more often than every FOLLOW_GAP_MS, and never later: the last change of a burst is always fetched.
    const updatedAt = client.getQueryState(key)?.dataUpdatedAt ?? 0;
    const timer = setTimeout(() => void client.invalidateQueries({ queryKey: key }), Math.max(0, updatedAt + FOLLOW_GAP_MS - Date.now()));
    return () => clearTimeout(timer);
  }, [client, batchId, countsKey]);
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
