import { queryOptions, useQuery, type QueryClient } from '@tanstack/react-query';
import type { BatchSnapshot } from '../../../../contract/dashboard-api.ts';
import { request } from '../../../lib/api-client.ts';
import { snapshotPollInterval } from '../../../lib/polling.ts';
import { compactSnapshot } from '../../../lib/batch-jobs.ts';
import { getBatchChanges, loadBatchRows, type SnapshotData } from '../../../lib/live-snapshot.ts';
import { batchKeys } from '../../../lib/api/query-keys.ts';
import { isStreaming, liveEnabled, takeFreshBase } from '../../../lib/api/batch-stream.ts';

export type { SnapshotData } from '../../../lib/live-snapshot.ts';

/**
 * The whole snapshot as JSON, revalidated by ETag: the path before live updates, kept for `?live=off` (the
 * benchmark's baseline) and for clients that cannot stream. `previous`: the query's current data, whose ETag
 * (kept in the query's own data: TanStack Query stays the one client cache) makes this a conditional GET.
 */
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

/**
 * Live: the first load streams compact rows (the first of them drawn at once); after that a fetch asks only
 * what changed since the revision held (`?since=`), unless the server or the stream said to load afresh.
 */
export async function getBatch(batchId: string, client: QueryClient, signal?: AbortSignal): Promise<SnapshotData> {
  if (!liveEnabled()) return getBatchSnapshot(batchId, client.getQueryData<SnapshotData>(batchKeys.detail(batchId)), signal);
  const key = batchKeys.detail(batchId);
  const current = client.getQueryData<SnapshotData>(key);
  if (current?.snapshot.revision !== undefined && !current.loadingRows && !takeFreshBase(batchId)) {
    const next = await getBatchChanges(batchId, current, signal);
    if (next) {
      // The event stream may have moved the cache on while this fetch was out (a focus refetch, the poll before the
      // stream opened): never put an older revision back, or the stream's next change would look like a gap.
      const latest = client.getQueryData<SnapshotData>(key);
      if (latest && latest !== current && (latest.snapshot.revision ?? -1) >= (next.snapshot.revision ?? -1)) return latest;
      return next;
    }
  }
  return loadBatchRows(batchId, signal, (partial) => client.setQueryData(key, partial));
}

export function batchQueryOptions(batchId: string) {
  return queryOptions({
    queryKey: batchKeys.detail(batchId),
    queryFn: ({ signal, client }) => getBatch(batchId, client, signal),
    // Polled: the next poll is the retry.
    retry: false,
    // While the event stream is open it brings every change; polling `?since=` is the fallback without one.
    refetchInterval: (query) => (isStreaming(batchId) ? false : snapshotPollInterval(query.state.data?.snapshot, query.state.error)),
    refetchIntervalInBackground: false,
    refetchOnWindowFocus: true,
  });
}

/** `batchId` undefined: no batch context (a job opened on its own), nothing is fetched. */
export function useBatch(batchId: string | undefined) {
  return useQuery({ ...batchQueryOptions(batchId ?? ''), enabled: Boolean(batchId) });
}
