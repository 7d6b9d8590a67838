import { QueryClient } from '@tanstack/react-query';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BatchSnapshot } from '../../../../contract/dashboard-api.ts';
import { compactSnapshot } from '../../../lib/batch-jobs.ts';
import type { SnapshotData } from '../../../lib/live-snapshot.ts';
import { batchKeys } from '../../../lib/api/query-keys.ts';
import { batchQueryOptions } from './get-batch.ts';

afterEach(() => {
  vi.unstubAllGlobals();
  window.history.replaceState(null, '', '/');
});

const body: BatchSnapshot = {
  batch: {
    id: 'b1', name: 'B', createdAt: '2026-12-03T10:00:00.000Z', jobCount: 0,
    counts: { Queued: 0, Running: 0, Succeeded: 0, Failed: 0, Canceled: 0, Unknown: 0, Gone: 0, Forbidden: 0, Expired: 0, Waiting: 0, Sending: 0, InDoubt: 0 },
    outputsReady: 0, progressPercent: 0, inputBytes: 0, outputBytes: 0, credits: 0,
  },
  jobs: [],
  upstream: { state: 'ok', error: null, since: null },
  serverTime: new Date().toISOString(),
  retentionSeconds: 3600,
  outputs: { keep: true, skippedForSpace: 0, usedBytes: 0, limitBytes: 0, keepDays: 7 },
};

describe('the batch snapshot query', () => {
  it('revalidates with the ETag kept in its own data and keeps the same data on a 304 (plain polling, ?live=off)', async () => {
    window.history.replaceState(null, '', '/batches/b1?live=off');
    const fetchMock = vi.fn(async (_path: string, init?: RequestInit) =>
      new Headers(init?.headers).get('If-None-Match') === 'W/"r1"'
        ? new Response(null, { status: 304, headers: { ETag: 'W/"r1"', 'X-Server-Time': new Date().toISOString() } })
        : new Response(JSON.stringify(body), { status: 200, headers: { ETag: 'W/"r1"', 'X-Server-Time': new Date().toISOString() } }),
    );
    vi.stubGlobal('fetch', fetchMock);
    const client = new QueryClient();
    const options = batchQueryOptions('b1');
    const first = await client.fetchQuery(options);
    expect(first.etag).toBe('W/"r1"');
    const second = await client.fetchQuery({ ...options, staleTime: 0 });
    expect(second).toBe(first);
    const sent = fetchMock.mock.calls.map(([, init]) => new Headers(init?.headers).get('If-None-Match'));
    expect(sent).toEqual([null, 'W/"r1"']);
    // A second client (another tab, a test) starts from nothing: no conditional GET without data to reuse.
    await new QueryClient().fetchQuery(options);
    expect(new Headers(fetchMock.mock.calls[2][1]?.headers).get('If-None-Match')).toBeNull();
  });

  it('keeps a newer revision the event stream put in the cache while a ?since= fetch was out', async () => {
    const client = new QueryClient();
    const key = batchKeys.detail('b1');
    const at = (revision: number): SnapshotData => ({ snapshot: { ...compactSnapshot(body), revision }, serverOffsetMs: 0 });
    client.setQueryData(key, at(5));
    const pushed = at(8);
    vi.stubGlobal('fetch', vi.fn(async () => {
      // The stream's changes land while the poll's answer (5 → 6) is on its way.
      client.setQueryData(key, pushed);
      const delta = { from: 5, revision: 6, batch: body.batch, fields: [], jobs: [], upstream: body.upstream, serverTime: body.serverTime, checkedAt: null, outputs: body.outputs };
      return new Response(JSON.stringify(delta), { status: 200, headers: { 'X-Server-Time': new Date().toISOString() } });
    }));
    const result = await client.fetchQuery({ ...batchQueryOptions('b1'), staleTime: 0 });
    expect(result.snapshot.revision).toBe(8);
  });
});
