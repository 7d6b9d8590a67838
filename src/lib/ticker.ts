import { notifyManager } from '@tanstack/react-query';
import { useSyncExternalStore } from 'react';

/**
 * One shared 1-second clock. Only the small components that show time (countdowns, "updated 3 s ago")
 * subscribe, so a tick re-renders those cells and not the whole table. Work may run on the same beat
 * (`onTick`: a live page applies its pushed changes), and is drawn with the tick in one render and one frame.
 */
const clockListeners = new Set<() => void>();
const workListeners = new Set<() => void>();
let timer: ReturnType<typeof setTimeout> | null = null;
let lastBeatAt = 0;
/** Work arrived since the last beat (`beatSoon`): the beats follow it. */
let arrived = false;

const BEAT_MS = 1_000;
/** While work arrives about once a second, the clock's own beat waits longer than that, so the work leads. */
const FOLLOW_MS = 1_250;
/** Work that arrives this soon after a beat waits until this long after it: two renders apart, not back to back. */
const MIN_GAP_MS = 200;

/**
 * One beat: the work first (it may write query data), then the clock's readers, all notified in one TanStack
 * Query batch, so React renders the query's changes and the new second together. Apart, they cost a second
 * render and frame every second on a live page (bench:ui-live).
 */
function beat(): void {
  lastBeatAt = Date.now();
  const following = arrived;
  arrived = false;
  notifyManager.batch(() => {
    for (const work of workListeners) work();
    for (const listener of clockListeners) notifyManager.schedule(listener);
  });
  schedule(following ? FOLLOW_MS : BEAT_MS);
}

function schedule(ms: number): void {
  if (timer !== null) clearTimeout(timer);
  timer = setTimeout(beat, ms);
}

/**
 * Work has arrived (a pushed change): beats now, or very soon if the last beat was just now, so the change is
 * drawn as it comes. The server sends at most one change a second; while they come, the beats fall in step with them and
 * the clock's own beat only stands in when they stop.
 */
export function beatSoon(): void {
  if (timer === null) return;
  arrived = true;
  const wait = lastBeatAt + MIN_GAP_MS - Date.now();
  if (wait <= 0) beat();
  else schedule(wait);
}

function subscribeTo(set: Set<() => void>, listener: () => void): () => void {
  set.add(listener);
  if (timer === null) schedule(BEAT_MS);
  return () => {
    set.delete(listener);
    if (clockListeners.size === 0 && workListeners.size === 0 && timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
  };
}

/** Runs `work` on the clock's beat, before the components that show time re-render. */
export function onTick(work: () => void): () => void {
  return subscribeTo(workListeners, work);
}

function subscribe(listener: () => void): () => void {
  return subscribeTo(clockListeners, listener);
}

// Rounded to the second so that two reads within one tick agree (useSyncExternalStore compares them).
function getSnapshot(): number {
  return Math.floor(Date.now() / 1000) * 1000;
}

/** The current time (ms, whole seconds), re-rendering the caller once a second. */
export function useNow(): number {
  return useSyncExternalStore(subscribe, getSnapshot, getSnapshot);
}
