import { useEffect, useReducer } from 'react';

// setTimeout fires at once for delays beyond a signed 32-bit number of ms (~24.8 days).
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * Whether the local time has reached `atMs` (null: never). The caller re-renders once, when it flips, through
 * a single timer: unlike the 1 s ticker, nothing re-renders in between.
 */
export function useTimePassed(atMs: number | null): boolean {
  // Reads the clock while rendering: the React Compiler would keep a reading for as long as `atMs` is the same.
  'use no memo';
  const [wake, rerender] = useReducer((n: number) => n + 1, 0);
  // eslint-disable-next-line react-hooks/purity -- reading the clock when rendering is what this hook is for
  const passed = atMs !== null && Date.now() >= atMs;
  useEffect(() => {
    if (atMs === null || passed) return;
    // A timer may fire a hair early; `wake` changes then, so a fresh one is set for the rest.
    const timer = setTimeout(rerender, Math.min(MAX_DELAY_MS, Math.max(0, atMs - Date.now())));
    return () => clearTimeout(timer);
  }, [atMs, passed, wake]);
  return passed;
}
