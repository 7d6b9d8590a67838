import { useCallback, useSyncExternalStore } from 'react';

/** One list per query: reading `matches` on it is cheap, `matchMedia()` on every render of a live page is not. */
const lists = new Map<string, MediaQueryList>();
function listOf(query: string): MediaQueryList {
  let list = lists.get(query);
  if (!list) lists.set(query, (list = window.matchMedia(query)));
  return list;
}

/** Whether a CSS media query matches now, re-rendering when it starts or stops matching. */
export function useMediaQuery(query: string): boolean {
  const subscribe = useCallback(
    (onChange: () => void) => {
      if (typeof window.matchMedia !== 'function') return () => {};
      const list = listOf(query);
      list.addEventListener('change', onChange);
      return () => list.removeEventListener('change', onChange);
    },
    [query],
  );
  // jsdom has no matchMedia: tests render the narrowest layout.
  return useSyncExternalStore(subscribe, () => typeof window.matchMedia === 'function' && listOf(query).matches);
}
