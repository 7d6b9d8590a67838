import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ANNOUNCE_INTERVAL_MS, createAnnouncer, summarizeCounts, type Announcer } from './announcer.ts';

let announcer: Announcer;
let spoken: string[];

beforeEach(() => {
  vi.useFakeTimers();
  announcer = createAnnouncer();
  spoken = [];
  announcer.subscribe(() => spoken.push(announcer.current().trim()));
});
afterEach(() => {
  announcer.dispose();
  vi.useRealTimers();
});

describe('the live announcer', () => {
  it('says 10,000 jobs finishing within a tenth of a second as one sentence, not 10,000', () => {
    for (let i = 0; i < 10_000; i++) {
      announcer.count(i % 4 === 0 ? 'failed' : 'finished', 1);
      if (i % 100 === 0) vi.advanceTimersByTime(1);
    }
    vi.advanceTimersByTime(ANNOUNCE_INTERVAL_MS);
    expect(spoken).toEqual(['7,500 jobs finished, 2,500 failed.']);
  });

  it('speaks at most once per interval however long events keep coming, and loses no count', () => {
    let sent = 0;
    // One job a tenth of a second for a minute.
    for (let t = 0; t < 60_000; t += 100) {
      announcer.count('finished', 1);
      sent++;
      vi.advanceTimersByTime(100);
    }
    vi.advanceTimersByTime(ANNOUNCE_INTERVAL_MS);
    expect(spoken.length).toBeLessThanOrEqual(60_000 / ANNOUNCE_INTERVAL_MS + 1);
    const total = spoken.reduce((n, s) => n + Number(/^(\d+)/.exec(s)![1]), 0);
    expect(total).toBe(sent);
  });

  it('joins counts and sentences of one moment, and says a repeated sentence once', () => {
    announcer.count('finished', 2);
    announcer.say('The batch is complete.');
    announcer.say('The batch is complete.');
    vi.advanceTimersByTime(ANNOUNCE_INTERVAL_MS);
    expect(spoken).toEqual(['2 jobs finished. The batch is complete.']);
  });

  it('changes the live text when the same sentence comes again later, so it is read again', () => {
    announcer.say('Reconnected.');
    vi.advanceTimersByTime(ANNOUNCE_INTERVAL_MS);
    const first = announcer.current();
    announcer.say('Reconnected.');
    vi.advanceTimersByTime(ANNOUNCE_INTERVAL_MS);
    expect(announcer.current()).not.toBe(first);
    expect(spoken).toEqual(['Reconnected.', 'Reconnected.']);
  });

  it('names the noun once: "1 job finished", "3 jobs finished, 1 failed"', () => {
    expect(summarizeCounts({ finished: 1, failed: 0, canceled: 0 })).toBe('1 job finished.');
    expect(summarizeCounts({ finished: 3, failed: 1, canceled: 0 })).toBe('3 jobs finished, 1 failed.');
    expect(summarizeCounts({ finished: 0, failed: 2, canceled: 1 })).toBe('2 jobs failed, 1 canceled.');
  });
});
