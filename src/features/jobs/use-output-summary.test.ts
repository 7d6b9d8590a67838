import { act, renderHook } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NOW, makeJob } from '../../testing/render.tsx';
import { BatchJobs } from '../../lib/batch-jobs.ts';
import { useOutputSummary } from './use-output-summary.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('the output summary of a batch page', () => {
  it('stops counting an output as ready the moment its countdown ends, with no snapshot change', () => {
    vi.useFakeTimers();
    vi.setSystemTime(NOW);
    const at = new Date(NOW + 20_000).toISOString();
    const jobs = new BatchJobs([makeJob({ state: 'Succeeded', expiry: { earliest: at, latest: at } })]);
    const { result } = renderHook(() => useOutputSummary(jobs, 0));
    expect(result.current.summary?.ready).toBe(1);
    expect(result.current.summary?.receipts.expiringSoon).toBe(1);
    act(() => {
      vi.advanceTimersByTime(20_010);
    });
    expect(result.current.summary?.ready).toBe(0);
    expect(result.current.summary?.counts.Expired).toBe(1);
    expect(result.current.summary?.receipts.lost).toBe(1);
  });
});
