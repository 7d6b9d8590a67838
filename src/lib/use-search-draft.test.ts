import { act, renderHook } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SEARCH_WRITE_DELAY_MS, useSearchDraft } from './use-search-draft.ts';

describe('useSearchDraft', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('shows every key at once and writes the address once, after typing stops', () => {
    const write = vi.fn();
    const { result } = renderHook(({ url }) => useSearchDraft(url, write), { initialProps: { url: '' } });
    for (const text of ['p', 'ph', 'pho', 'phot', 'photo']) act(() => result.current[1](text));
    expect(result.current[0]).toBe('photo');
    expect(write).not.toHaveBeenCalled();
    act(() => {
      vi.advanceTimersByTime(SEARCH_WRITE_DELAY_MS);
    });
    expect(write).toHaveBeenCalledTimes(1);
    expect(write).toHaveBeenCalledWith('photo');
  });

  it('keeps keys typed while its own write reaches the address', () => {
    const write = vi.fn();
    const { result, rerender } = renderHook(({ url }) => useSearchDraft(url, write), { initialProps: { url: '' } });
    act(() => result.current[1]('ab'));
    act(() => {
      vi.advanceTimersByTime(SEARCH_WRITE_DELAY_MS);
    });
    act(() => result.current[1]('abc'));
    // The address catches up with the write a key late.
    rerender({ url: 'ab' });
    expect(result.current[0]).toBe('abc');
    act(() => {
      vi.advanceTimersByTime(SEARCH_WRITE_DELAY_MS);
    });
    expect(write).toHaveBeenLastCalledWith('abc');
  });

  it('takes the address when it changes by navigation', () => {
    const write = vi.fn();
    const { result, rerender } = renderHook(({ url }) => useSearchDraft(url, write), { initialProps: { url: 'old' } });
    expect(result.current[0]).toBe('old');
    rerender({ url: 'from a link' });
    expect(result.current[0]).toBe('from a link');
    act(() => {
      vi.advanceTimersByTime(SEARCH_WRITE_DELAY_MS);
    });
    expect(write).not.toHaveBeenCalled();
  });
});
