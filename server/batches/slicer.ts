/**
 * Long work on the event loop in slices: call `tick()` after each small step; it yields (setImmediate, so
 * waiting I/O and timers run first) once the current slice has used its time budget. A 150,000-id paste then
 * delays other requests by about one slice, not by the whole paste.
 */
import { performance } from 'node:perf_hooks';

export const SLICE_BUDGET_MS = 10;

export class Slicer {
  private sliceStart = performance.now();

  constructor(private readonly budgetMs = SLICE_BUDGET_MS) {}

  /** Nothing to wait for while the slice has time left. */
  tick(): Promise<void> | undefined {
    if (performance.now() - this.sliceStart < this.budgetMs) return undefined;
    return new Promise((resolve) =>
      setImmediate(() => {
        this.sliceStart = performance.now();
        resolve();
      }),
    );
  }
}
