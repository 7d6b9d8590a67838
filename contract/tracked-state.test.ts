import { describe, expect, it } from 'vitest';
import { JOB_STATUSES, TERMINAL_STATUSES } from './status.ts';
import {
  CHANGING_STATES,
  DONE_STATES,
  FINAL_STATES,
  MEASURED_STATES,
  POLLED_STATES,
  STATE_INFO,
  TRACKED_STATES,
  countIn,
  emptyCounts,
  isFinalState,
  isTrackedState,
} from './tracked-state.ts';

describe('the table of tracked states', () => {
  it('lists every upstream status and the dashboard’s own states, in display order', () => {
    expect(TRACKED_STATES).toEqual([
      'Waiting', 'Sending', 'InDoubt', 'Queued', 'Running', 'Succeeded', 'Failed', 'Canceled', 'Unknown', 'Gone', 'Forbidden',
    ]);
    for (const status of JOB_STATUSES) expect(TRACKED_STATES).toContain(status);
  });

  it('has the tracker poll active and unseen jobs and stop on every other state', () => {
    expect(POLLED_STATES).toEqual(['Queued', 'Running', 'Unknown']);
    // Spooled files have no upstream job yet: nothing to poll (the feeder moves them).
    expect(FINAL_STATES).toEqual(['Waiting', 'Sending', 'InDoubt', 'Succeeded', 'Failed', 'Canceled', 'Gone', 'Forbidden']);
    for (const status of TERMINAL_STATUSES) expect(isFinalState(status)).toBe(true);
  });

  it('counts as done only the jobs that ran to an end, and leaves gone and forbidden jobs out of progress', () => {
    expect(DONE_STATES).toEqual(['Succeeded', 'Failed', 'Canceled']);
    expect(MEASURED_STATES).not.toContain('Gone');
    expect(MEASURED_STATES).not.toContain('Forbidden');
  });

  it('never calls a state both final for the tracker and still changing for the page, but for files the feeder moves', () => {
    for (const state of FINAL_STATES) if (state !== 'Waiting' && state !== 'Sending') expect(CHANGING_STATES).not.toContain(state);
    expect(CHANGING_STATES).toEqual(expect.arrayContaining(['Waiting', 'Sending']));
  });

  it('sums the counts of a set of states', () => {
    const counts = { ...emptyCounts(), Succeeded: 3, Failed: 1, Running: 7 };
    expect(countIn(counts, DONE_STATES)).toBe(4);
    expect(Object.keys(emptyCounts())).toEqual(TRACKED_STATES);
  });

  it('recognises its own state names and nothing else', () => {
    expect(isTrackedState('Gone')).toBe(true);
    expect(isTrackedState('toString')).toBe(false);
    expect(isTrackedState('Cancelled')).toBe(false);
    expect(Object.keys(STATE_INFO)).toHaveLength(TRACKED_STATES.length);
  });
});
