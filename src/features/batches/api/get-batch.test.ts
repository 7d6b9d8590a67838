import { QueryClient } from '@tanstack/react-query';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BatchSnapshot } from '../../../../contract/dashboard-api.ts';
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
});
