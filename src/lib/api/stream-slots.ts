/**
 * Over HTTP/1.1 a browser opens at most 6 connections to one origin, for all its tabs together, and each open
 * event stream keeps one: a seventh tab of the dashboard would wait forever for its first load (found with 20 tabs
 * in bench:ui-live). Tabs of one batch share one stream (shared-stream.ts), and at most STREAM_SLOTS batches stream
 * at once, each stream holding one of that many Web Locks (shared by the browser's tabs of this origin); the tabs of
 * other batches poll `?since=` until a slot frees. Without Web Locks every tab streams.
 */
export const STREAM_SLOTS = 4;
const SLOT_PREFIX = 'convert-dashboard-event-stream-';

export interface SlotLocks {
  request(name: string, options: { ifAvailable?: boolean; signal?: AbortSignal }, callback: (lock: unknown) => Promise<void> | void): Promise<unknown>;
}

function browserLocks(): SlotLocks | null {
  return typeof navigator !== 'undefined' && 'locks' in navigator ? navigator.locks : null;
}

/**
 * Calls `onSlot` once this tab holds a stream slot (at once when one is free, else when one frees); the returned
 * function gives the slot back (or stops waiting for one).
 */
export function holdStreamSlot(onSlot: () => void, locks: SlotLocks | null = browserLocks()): () => void {
  if (!locks) {
    onSlot();
    return () => {};
  }
  const stop = new AbortController();
  let release: (() => void) | null = null;
  const hold = () =>
    new Promise<void>((resolve) => {
      release = resolve;
      if (stop.signal.aborted) resolve();
      else onSlot();
    });
  const tryFrom = (slot: number) => {
    if (stop.signal.aborted) return;
    if (slot >= STREAM_SLOTS) {
      // None free: wait for one, chosen at random so waiting tabs spread over the slots.
      const name = `${SLOT_PREFIX}${Math.floor(Math.random() * STREAM_SLOTS)}`;
      locks.request(name, { signal: stop.signal }, hold).catch(() => {});
      return;
    }
    locks
      .request(`${SLOT_PREFIX}${slot}`, { ifAvailable: true }, (lock) => (lock ? hold() : tryFrom(slot + 1)))
      .catch(() => {});
  };
  tryFrom(0);
  return () => {
    stop.abort();
    release?.();
  };
}
