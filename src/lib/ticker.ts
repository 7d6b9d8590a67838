import { notifyManager } from '@tanstack/react-query';
import { useSyncExternalStore } from 'react';

/**
 * One shared 1-second clock. Only the small components that show time (countdowns, "updated 3 s ago")
 * subscribe, so a tick re-renders those cells and not the whole table.
 *
 * Work that changes query data on the same beat (the live page's pushed changes: `onTick`) runs first, inside one
 * TanStack Query notify batch with the clock's readers: the data's observers and the clock's are told in the same
 * task, so React renders and the browser draws once a second, not twice.
 */
const listeners = new Set<() => void>();
const work = new Set<() => boolean>();
let timer: ReturnType<typeof setInterval> | null = null;

function tick(): void {
  notifyManager.batch(() => {
    let changed = false;
    for (const w of work) changed = w() || changed;
    // With query data changed, the clock's readers are told with its observers, in the notify batch's own task
    // (one render). Without, at once, as a plain clock.
    for (const l of listeners) {
      if (changed) notifyManager.schedule(l);
      else l();
    }
  });
}

function start(): void {
  timer ??= setInterval(tick, 1_000);
}

function stopIfIdle(): void {
  if (listeners.size === 0 && work.size === 0 && timer !== null) {
    clearInterval(timer);
    timer = null;
  }
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  start();
  return () => {
    listeners.delete(listener);
    stopIfIdle();
  };
}

/**
 * Runs `fn` on every beat of the clock, before its readers re-render; `fn` returns true when it changed query data.
 * Returns the unsubscribe.
 */
export function onTick(fn: () => boolean): () => void {
  const entry = () => fn();
  work.add(entry);
  start();
  return () => {
    work.delete(entry);
    stopIfIdle();
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
