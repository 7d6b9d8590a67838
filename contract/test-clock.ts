/**
 * A way for the e2e suite to let time pass on the servers, for the specs about expiry (which would otherwise wait
 * out a real retention). With `E2E_CLOCK_SHIFT_FILE` set, the dashboard's and the Convert service's clocks run
 * ahead of the system's by the whole number of milliseconds that file holds (none while it is missing); the
 * bundled service inherits the variable. Only the e2e stack made for it sets it: unset, the shift is always 0.
 * Server-side only (node:fs).
 */
import { readFileSync, watchFile } from 'node:fs';

function read(file: string): number {
  try {
    const ms = Number(readFileSync(file, 'utf8').trim());
    return Number.isSafeInteger(ms) ? ms : 0;
  } catch {
    return 0;
  }
}

function shiftOf(file: string | undefined): () => number {
  if (!file) return () => 0;
  let shift = read(file);
  // Polled (a stat every 100 ms): it also sees the file appear, which an inotify watch of a missing file cannot.
  watchFile(file, { interval: 100, persistent: false }, () => {
    shift = read(file);
  });
  return () => shift;
}

/** Milliseconds to add to `Date.now()`: 0 unless E2E_CLOCK_SHIFT_FILE is set. */
export const clockShiftMs: () => number = shiftOf(process.env.E2E_CLOCK_SHIFT_FILE);
