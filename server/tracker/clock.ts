import { clockShiftMs } from '../../contract/test-clock.ts';

/** Time and timers, injectable so the tracker's schedule can be tested with a fake clock and no sleeps. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now() + clockShiftMs(),
  setTimeout(fn, ms) {
    const handle = setTimeout(fn, ms);
    // The tracker must never be what keeps a process alive.
    handle.unref();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
