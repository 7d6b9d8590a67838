import { useSyncExternalStore } from 'react';

/**
 * One shared 1-second clock. Only the small components that show time (countdowns, "updated 3 s ago")
 * subscribe, so a tick re-renders those cells and not the whole table.
 */
const listeners = new Set<() => void>();
let timer: ReturnType<typeof setInterval> | null = null;

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (timer === null) {
    timer = setInterval(() => {
      for (const l of listeners) l();
    }, 1_000);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer !== null) {
      clearInterval(timer);
      timer = null;
    }
  };
}

// Rounded to the second so that two reads within one tick agree (useSyncExternalStore compares them).
function getSnapshot(): number {
  return Math.floor(Date.now() / 1000) * 1000;
}

/** The current time (ms, whole seconds), re-rendering the caller once a second. */
export function useNow(): number {
  return useSyncExternalStore(subscribe, getSnapshot, getSnapshot);
}
