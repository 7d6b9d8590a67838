import { QueryClient, QueryClientProvider, useQuery } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import { Profiler } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { onTick, useNow } from './ticker.ts';

// React as in the browser: updates render when React schedules them, not when an act() scope ends (which would
// merge any two updates of one step and hide what this file tests).
const reactGlobal = globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean };
let actBefore: boolean | undefined;
beforeEach(() => {
  vi.useFakeTimers();
  actBefore = reactGlobal.IS_REACT_ACT_ENVIRONMENT;
  reactGlobal.IS_REACT_ACT_ENVIRONMENT = false;
});
afterEach(() => {
  vi.useRealTimers();
  reactGlobal.IS_REACT_ACT_ENVIRONMENT = actBefore;
});

function Page({ client }: { client: QueryClient }) {
  const now = useNow();
  const { data } = useQuery({ queryKey: ['n'], queryFn: () => 0, staleTime: Infinity, initialData: 0 }, client);
  return (
    <p>
      {data} at {now}
    </p>
  );
}

describe('the 1-second clock', () => {
  it('renders query data changed on its beat together with its readers: one commit a second, not two', async () => {
    const client = new QueryClient();
    let commits = 0;
    const view = render(
      <QueryClientProvider client={client}>
        <Profiler id="page" onRender={() => commits++}>
          <Page client={client} />
        </Profiler>
      </QueryClientProvider>,
    );
    let n = 0;
    const stop = onTick(() => {
      client.setQueryData(['n'], ++n);
      return true;
    });
    // A millisecond past the beat: the notify batch's own task (setTimeout 0, scheduled on the beat) is then due too.
    await vi.advanceTimersByTimeAsync(1);
    commits = 0;
    for (let second = 1; second <= 3; second++) {
      await vi.advanceTimersByTimeAsync(1_000);
      expect(view.container.textContent).toMatch(new RegExp(`^${second} at `));
      expect(commits).toBe(second);
    }
    stop();
    view.unmount();
  });

  it('stops its timer when nothing reads it and no work is left', () => {
    const stop = onTick(() => false);
    expect(vi.getTimerCount()).toBe(1);
    stop();
    expect(vi.getTimerCount()).toBe(0);
  });
});
