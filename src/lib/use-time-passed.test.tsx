import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, render, screen } from '@testing-library/react';
import { NOW } from '../testing/render.tsx';
import { useTimePassed } from './use-time-passed.ts';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(NOW);
});
afterEach(() => vi.useRealTimers());

let renders = 0;
function Probe({ at }: { at: number | null }) {
  renders++;
  return <span>{useTimePassed(at) ? 'passed' : 'waiting'}</span>;
}

describe('useTimePassed', () => {
  it('flips exactly at the target time, re-rendering once, with a single timer', () => {
    renders = 0;
    render(<Probe at={NOW + 10_000} />);
    expect(screen.getByText('waiting')).toBeInTheDocument();
    expect(vi.getTimerCount()).toBe(1);
    act(() => {
      vi.advanceTimersByTime(9_999);
    });
    expect(screen.getByText('waiting')).toBeInTheDocument();
    expect(renders).toBe(1);
    act(() => {
      vi.advanceTimersByTime(1);
    });
    expect(screen.getByText('passed')).toBeInTheDocument();
    expect(renders).toBe(2);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('is true at once for a time already past, and sets no timer', () => {
    render(<Probe at={NOW - 1} />);
    expect(screen.getByText('passed')).toBeInTheDocument();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('never flips without a target', () => {
    render(<Probe at={null} />);
    act(() => {
      vi.advanceTimersByTime(24 * 3600_000);
    });
    expect(screen.getByText('waiting')).toBeInTheDocument();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('follows a target that moves later, and drops the timer on unmount', () => {
    const { rerender, unmount } = render(<Probe at={NOW + 1_000} />);
    rerender(<Probe at={NOW + 5_000} />);
    act(() => {
      vi.advanceTimersByTime(1_000);
    });
    expect(screen.getByText('waiting')).toBeInTheDocument();
    act(() => {
      vi.advanceTimersByTime(4_000);
    });
    expect(screen.getByText('passed')).toBeInTheDocument();
    rerender(<Probe at={NOW + 60_000} />);
    expect(vi.getTimerCount()).toBe(1);
    unmount();
    expect(vi.getTimerCount()).toBe(0);
  });
});
