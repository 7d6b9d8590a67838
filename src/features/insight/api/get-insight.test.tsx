import { act, render } from '@testing-library/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BatchInsight } from '../../../../contract/insight-api.ts';
import { NOW } from '../../../testing/render.tsx';
import { useInsight, useInsightFollowsBatch, useInsightStalls } from './get-insight.ts';

/** A finished batch's insight: on its own it is polled once a minute only. */
const done: BatchInsight = {
  serverTime: new Date(NOW).toISOString(),
  series: { t: [], counts: {} },
  completionsPerMinute: { t: [], count: [] },
  currentRatePerMinute: 0,
  eta: { kind: 'done' },
  wait: { count: 0, medianMs: null, p95Ms: null },
  run: { count: 0, medianMs: null, p95Ms: null },
  stalled: [],
  queueStalled: null,
  failureGroups: [],
  expiringSoon: 0,
  rules: { stallDefaultMs: 300_000, stallFactor: 4, stallMinMs: 60_000, stallMinSamples: 3, queueStallMs: 600_000, etaMinCompletions: 5, etaStallMinMs: 300_000 },
  upstream: 'ok',
};

let fetchMock: ReturnType<typeof vi.fn>;
beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(NOW);
  fetchMock = vi.fn(async () => new Response(JSON.stringify(done), { status: 200, headers: { 'content-type': 'application/json' } }));
  vi.stubGlobal('fetch', fetchMock);
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

function Probe({ counts }: { counts: string | null }) {
  useInsight('b1');
  useInsightFollowsBatch('b1', counts);
  return null;
}

async function settle(ms: number) {
  await act(() => vi.advanceTimersByTimeAsync(ms));
}

describe('the insight follows the batch', () => {
  it('is fetched again within 2 s of a change of the batch counts, however slowly it polls by itself', async () => {
    const client = new QueryClient();
    const view = (counts: string | null) => (
      <QueryClientProvider client={client}>
        <Probe counts={counts} />
      </QueryClientProvider>
    );
    const { rerender } = render(view(null));
    await settle(0);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    // The batch's first load is not a change.
    rerender(view('{"Waiting":0}'));
    await settle(10_000);
    expect(fetchMock).toHaveBeenCalledTimes(1);

    // Files added to the finished batch: fetched at once (the last fetch was long ago).
    rerender(view('{"Waiting":3}'));
    await settle(0);
    expect(fetchMock).toHaveBeenCalledTimes(2);
    // A burst of changes: one more fetch, 2 s after the previous one, which sees the last of them.
    await settle(500);
    rerender(view('{"Queued":3}'));
    await settle(500);
    rerender(view('{"Failed":2,"Queued":1}'));
    await settle(900);
    expect(fetchMock).toHaveBeenCalledTimes(2);
    await settle(100);
    expect(fetchMock).toHaveBeenCalledTimes(3);
    // Nothing changes: back to the slow pace.
    await settle(30_000);
    expect(fetchMock).toHaveBeenCalledTimes(3);
  });

  it('is polled once every 5 s while jobs remain, however many parts of the page read it and however often the counts move', async () => {
    fetchMock = vi.fn(async () => new Response(JSON.stringify({ ...done, eta: { kind: 'unknown', reason: 'few' } }), { status: 200, headers: { 'content-type': 'application/json' } }));
    vi.stubGlobal('fetch', fetchMock);
    function Page({ counts }: { counts: string }) {
      // As the batch page: the table's stalls, and the panel's summary, details and tools.
      useInsightStalls('b1');
      useInsight('b1');
      useInsight('b1');
      useInsight('b1');
      useInsightFollowsBatch('b1', counts);
      return null;
    }
    const client = new QueryClient();
    const view = (counts: string) => (
      <QueryClientProvider client={client}>
        <Page counts={counts} />
      </QueryClientProvider>
    );
    const { rerender } = render(view('{"Running":0}'));
    await settle(0);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    // A busy batch's counts move every second: the 5 s poll shows that, without a fetch per change.
    for (let second = 1; second <= 30; second++) {
      rerender(view(`{"Running":${second}}`));
      await settle(1_000);
    }
    expect(fetchMock).toHaveBeenCalledTimes(7);
  });
});
