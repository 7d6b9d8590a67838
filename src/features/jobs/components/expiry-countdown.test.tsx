import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, render, screen } from '@testing-library/react';
import { NOW } from '../../../testing/render.tsx';
import { ExpiryCountdown } from './expiry-countdown.tsx';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(NOW);
});
afterEach(() => vi.useRealTimers());

const at = (ms: number) => new Date(NOW + ms).toISOString();

describe('expiry countdown', () => {
  it('ticks once a second and says "expired" at the end', () => {
    render(<ExpiryCountdown job={{ state: 'Succeeded', outputExpired: false, expiry: { earliest: at(3_000), latest: at(3_000) } }} serverOffsetMs={0} />);
    expect(screen.getByText('0:03 left')).toBeInTheDocument();
    act(() => {
      vi.advanceTimersByTime(1_000);
    });
    expect(screen.getByText('0:02 left')).toBeInTheDocument();
    act(() => {
      vi.advanceTimersByTime(2_000);
    });
    expect(screen.getByText('expired')).toBeInTheDocument();
  });

  it('shows "~" and an explanation available to assistive technology for a wide window', () => {
    render(<ExpiryCountdown job={{ state: 'Succeeded', outputExpired: false, expiry: { earliest: at(600_000), latest: at(1_200_000) } }} serverOffsetMs={0} />);
    expect(screen.getByText('~10:00 left')).toHaveAttribute('aria-hidden', 'true');
    expect(screen.getByText(/about 10:00 until the output expires\. The job finished at some point in a window/)).toBeInTheDocument();
  });

  it('turns urgent in the last five minutes', () => {
    render(<ExpiryCountdown job={{ state: 'Succeeded', outputExpired: false, expiry: { earliest: at(301_000), latest: at(301_000) } }} serverOffsetMs={0} />);
    expect(screen.getByText('5:01 left').parentElement).not.toHaveClass('text-red-700');
    act(() => {
      vi.advanceTimersByTime(2_000);
    });
    expect(screen.getByText('4:59 left').parentElement).toHaveClass('text-red-700');
  });

  it('stays calm in the last minutes when the dashboard keeps its own copy', () => {
    const kept = { at: at(-60_000), until: at(86_400_000), bytes: 10, fileName: 'a.png' };
    render(<ExpiryCountdown job={{ state: 'Succeeded', outputExpired: false, expiry: { earliest: at(9_000), latest: at(9_000) }, kept }} serverOffsetMs={0} />);
    const countdown = screen.getByText('0:09 left').parentElement!;
    expect(countdown).not.toHaveClass('text-red-700');
    expect(countdown).toHaveAttribute('title', expect.stringMatching(/keeps its own copy/));
  });
});
