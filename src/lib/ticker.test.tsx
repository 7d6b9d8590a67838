import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, render, screen } from '@testing-library/react';
import { QueryClient, QueryClientProvider, useQuery } from '@tanstack/react-query';
import { NOW } from '../testing/render.tsx';
import { beatSoon, onTick, useNow } from './ticker.ts';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(NOW);
});
afterEach(() => vi.useRealTimers());

/** Local ms since the test began at which `work` ran. */
function recordBeats(): { at: number[]; stop: () => void } {
  const at: number[] = [];
  const stop = onTick(() => at.push(Date.now() - NOW));
  return { at, stop };
}

describe('the page clock', () => {
  it('beats once a second while nothing arrives', () => {
    const beats = recordBeats();
    vi.advanceTimersByTime(3_500);
    beats.stop();
    expect(beats.at).toEqual([1_000, 2_000, 3_000]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('falls in step with work that arrives once a second, and beats by itself again when it stops', () => {
    const beats = recordBeats();
    vi.advanceTimersByTime(1_000);
    // Changes arrive 400 ms after the beat, then every second: each is applied as it comes.
    for (const wait of [400, 1_000, 1_000]) {
      vi.advanceTimersByTime(wait);
      beatSoon();
    }
    // No more changes: the clock's own beat stands in, a little later than a change would have come.
    vi.advanceTimersByTime(1_250 + 1_000 + 1);
    beats.stop();
    expect(beats.at).toEqual([1_000, 1_400, 2_400, 3_400, 4_650, 5_650]);
  });

  it('beats a moment later for work that arrives just after a beat, then follows the work', () => {
    const beats = recordBeats();
    vi.advanceTimersByTime(1_100);
    beatSoon();
    expect(beats.at).toEqual([1_000]);
    vi.advanceTimersByTime(100);
    expect(beats.at).toEqual([1_000, 1_200]);
    // The next change, a second after the first, is drawn as it comes: no beat of the clock's own came between.
    vi.advanceTimersByTime(900);
    beatSoon();
    beats.stop();
    expect(beats.at).toEqual([1_000, 1_200, 2_100]);
  });

  it('shows what its work wrote to the query cache with the new second', async () => {
    const client = new QueryClient();
    client.setQueryData(['n'], 0);
    function Probe() {
      const now = useNow();
      const { data } = useQuery({ queryKey: ['n'], queryFn: () => 0, enabled: false });
      return <span>{`${data} at ${(now - NOW) / 1000}`}</span>;
    }
    const stop = onTick(() => client.setQueryData(['n'], (n: number | undefined) => (n ?? 0) + 1));
    render(
      <QueryClientProvider client={client}>
        <Probe />
      </QueryClientProvider>,
    );
    await act(async () => {
      await vi.advanceTimersByTimeAsync(1_001);
    });
    expect(screen.getByText('1 at 1')).toBeInTheDocument();
    stop();
  });
});
