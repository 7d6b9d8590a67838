import { queryOptions, useQuery } from '@tanstack/react-query';
import type { BatchSnapshot } from '../../../../contract/dashboard-api.ts';
import { request } from '../../../lib/api-client.ts';
import { snapshotPollInterval } from '../../../lib/polling.ts';
import { compactSnapshot, type CompactSnapshot } from '../batch-jobs.ts';
import { batchKeys } from './query-keys.ts';

export interface SnapshotData {
  /** Jobs in compact form: the parsed JSON is dropped right here, so the cache holds no per-job objects. */
  snapshot: CompactSnapshot;
  /** serverTime − local time when the snapshot arrived: added to Date.now() to count down in the server's clock. */
  serverOffsetMs: number;
  /** The snapshot's ETag, so the next poll can be a cheap conditional GET (304 → the same data). */
  etag: string | null;
}

/** `previous`: the query's current data, whose ETag makes this a conditional GET. */
export async function getBatchSnapshot(batchId: string, previous?: SnapshotData, signal?: AbortSignal): Promise<SnapshotData> {
  const cached = previous?.etag ? previous : undefined;
  const headers: HeadersInit = cached?.etag ? { 'If-None-Match': cached.etag } : {};
  const response = await request(`/api/batches/${encodeURIComponent(batchId)}`, { signal, headers, allowNotModified: true });
  // `X-Server-Time` is fresh on 200 and 304 alike; a revalidated body's `serverTime` is as old as the body.
  const headerMs = Date.parse(response.headers.get('X-Server-Time') ?? '');
  if (response.status === 304 && cached) {
    if (Number.isNaN(headerMs)) return cached;
    const offset = headerMs - Date.now();
    // Same object unless the clock estimate moved noticeably, so nothing re-renders for nothing.
    if (Math.abs(offset - cached.serverOffsetMs) < 1_000) return cached;
    return { ...cached, serverOffsetMs: offset };
  }
  const snapshot = compactSnapshot((await response.json()) as BatchSnapshot);
  const serverMs = Number.isNaN(headerMs) ? Date.parse(snapshot.serverTime) : headerMs;
  return { snapshot, serverOffsetMs: Number.isNaN(serverMs) ? 0 : serverMs - Date.now(), etag: response.headers.get('ETag') };
}

export function batchQueryOptions(batchId: string) {
  return queryOptions({
    queryKey: batchKeys.detail(batchId),
    // The ETag lives in the query's own data: TanStack Query stays the one client cache.
    queryFn: ({ client, queryKey, signal }) => getBatchSnapshot(batchId, client.getQueryData<SnapshotData>(queryKey), signal),
    // Polled: the next poll is the retry.
    retry: false,
    refetchInterval: (query) => snapshotPollInterval(query.state.data?.snapshot, query.state.error),
    refetchIntervalInBackground: false,
    refetchOnWindowFocus: true,
  });
}

/** `batchId` undefined: no batch context (a job opened on its own), nothing is fetched. */
export function useBatch(batchId: string | undefined) {
  return useQuery({ ...batchQueryOptions(batchId ?? ''), enabled: Boolean(batchId) });
}
