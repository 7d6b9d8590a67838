// @vitest-environment node
import { describe, expect, it } from 'vitest';
import {
  POLICY,
  authPauseDelay,
  POLL_CLASS,
  errorBackoffDelay,
  etaMs,
  isViewed,
  nextSlotAt,
  planNextPoll,
  nextPollDelay,
  parseRetryAfter,
  retryAfterDelay,
} from './policy.ts';

const mid = 0.5; // a random number that yields no jitter

describe('the poll policy', () => {
  it('polls a new job about a second after submission and grows each delay by 1.5×', () => {
    const delays = [0, 1, 2, 3].map((attempt) => nextPollDelay({ attempt, ageMs: 0, viewed: true, random: mid }));
    expect(delays).toEqual([1000, 1500, 2250, 3375]);
  });

  it('caps the delay at 12 s while the batch is viewed and 60 s when nobody looks', () => {
    expect(nextPollDelay({ attempt: 50, ageMs: 0, viewed: true, random: mid })).toBe(POLICY.viewedCapMs);
    expect(nextPollDelay({ attempt: 50, ageMs: 0, viewed: false, random: mid })).toBe(POLICY.unviewedCapMs);
    expect(POLICY.viewedCapMs).toBeGreaterThanOrEqual(10_000);
    expect(POLICY.viewedCapMs).toBeLessThanOrEqual(15_000);
  });

  it('polls an old job no faster than a tenth of its age, even on its first attempt after a restart', () => {
    expect(nextPollDelay({ attempt: 0, ageMs: 40_000, viewed: false, random: mid })).toBe(4_000);
    expect(nextPollDelay({ attempt: 0, ageMs: 3_600_000, viewed: true, random: mid })).toBe(POLICY.viewedCapMs);
  });

  it('keeps jitter within ±20 % and never goes below one second per job', () => {
    for (let i = 0; i <= 100; i++) {
      const random = i / 100;
      const capped = nextPollDelay({ attempt: 50, ageMs: 0, viewed: true, random });
      expect(capped).toBeGreaterThanOrEqual(POLICY.viewedCapMs * 0.8 - 1e-9);
      expect(capped).toBeLessThanOrEqual(POLICY.viewedCapMs * 1.2 + 1e-9);
      expect(nextPollDelay({ attempt: 0, ageMs: 0, viewed: true, random })).toBeGreaterThanOrEqual(1000);
    }
    expect(nextPollDelay({ attempt: 50, ageMs: 0, viewed: true, random: 0 })).toBeCloseTo(POLICY.viewedCapMs * 0.8);
    expect(nextPollDelay({ attempt: 50, ageMs: 0, viewed: true, random: 1 })).toBeCloseTo(POLICY.viewedCapMs * 1.2);
  });

  it('reads Retry-After as seconds or as an HTTP date, and ignores junk', () => {
    const now = Date.UTC(2026, 10, 29, 12, 0, 0);
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter(new Date(now + 30_000).toUTCString(), now)).toBe(30_000);
    expect(parseRetryAfter('0', now)).toBe(1000);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
    expect(parseRetryAfter('999999', now)).toBe(POLICY.maxRetryAfterMs);
  });

  it('never schedules a rate-limited job before its Retry-After', () => {
    for (let i = 0; i <= 10; i++) {
      const d = retryAfterDelay(7000, i / 10);
      expect(d).toBeGreaterThanOrEqual(7000);
      expect(d).toBeLessThanOrEqual(7000 * 1.2);
    }
    expect(retryAfterDelay(null, 0)).toBe(POLICY.defaultRetryAfterMs);
  });

  it('backs off exponentially on failures up to 30 s, within the upper half of each step', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => errorBackoffDelay(n, 1))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect(errorBackoffDelay(4, 0)).toBe(4000);
    expect(authPauseDelay(1, mid)).toBe(POLICY.authPauseBaseMs);
    expect(authPauseDelay(10, mid)).toBe(POLICY.authPauseMaxMs);
  });

  it('spreads the retries of many jobs after an outage instead of retrying them in lock-step', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const delays = Array.from({ length: 200 }, () => errorBackoffDelay(5, random()));
    const distinct = new Set(delays.map((d) => Math.round(d / 100)));
    expect(distinct.size).toBeGreaterThan(50);
    expect(Math.max(...delays) - Math.min(...delays)).toBeGreaterThan(5000);
  });

  it('counts a batch as viewed for 30 s after its snapshot was read', () => {
    expect(isViewed(undefined, 1000)).toBe(false);
    expect(isViewed(0, 30_000)).toBe(true);
    expect(isViewed(0, 30_001)).toBe(false);
  });
});

describe('poll priorities', () => {
  const base = { attempt: 6, ageMs: 600_000, viewed: false, random: mid };

  it('puts a shown job first and polls it within the shown cap', () => {
    expect(planNextPoll({ ...base, shown: true, eta: null })).toEqual({ delayMs: POLICY.shownCapMs, pollClass: POLL_CLASS.shown });
  });

  it('polls a job whose feeder slot uploaded files wait for at the per-job limit, first', () => {
    expect(planNextPoll({ ...base, shown: false, feeding: true, eta: null })).toEqual({ delayMs: POLICY.minIntervalMs, pollClass: POLL_CLASS.shown });
    expect(planNextPoll({ ...base, shown: true, feeding: true, eta: null }).delayMs).toBe(POLICY.minIntervalMs);
  });

  it('polls a job expected to finish before its next regular poll just after that, ahead of the rest', () => {
    const plan = planNextPoll({ ...base, shown: false, eta: 5_000 });
    expect(plan.pollClass).toBe(POLL_CLASS.soon);
    expect(plan.delayMs).toBe(5_500);
  });

  it('leaves a job with no expected finish, or one far off, on its regular schedule', () => {
    const regular = nextPollDelay(base);
    expect(planNextPoll({ ...base, shown: false, eta: null })).toEqual({ delayMs: regular, pollClass: POLL_CLASS.rest });
    expect(planNextPoll({ ...base, shown: false, eta: regular * 2 })).toEqual({ delayMs: regular, pollClass: POLL_CLASS.rest });
  });

  it('expects a finish from the latest rate of progress, and none without progress', () => {
    expect(etaMs({ percent: 20, at: 0 }, { percent: 40, at: 10_000 })).toBe(30_000);
    expect(etaMs({ percent: 40, at: 0 }, { percent: 40, at: 10_000 })).toBeNull();
    expect(etaMs(null, { percent: 40, at: 10_000 })).toBeNull();
  });

  it('spaces requests evenly under the total rate cap', () => {
    expect(nextSlotAt(1_000, 20)).toBe(1_050);
  });
});
