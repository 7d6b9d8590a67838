import { describe, expect, it } from 'vitest';
import { countdownTargetLocalMs, expiredSentence, expiryView } from './expiry.ts';
import { NOW } from '../../testing/render.tsx';

const iso = (offsetMs: number) => new Date(NOW + offsetMs).toISOString();
const MIN = 60_000;

describe('expiry window maths', () => {
  it('counts down to the earliest possible deletion when the window is narrow', () => {
    const view = expiryView({ state: 'Succeeded', outputExpired: false, expiry: { earliest: iso(40 * MIN), latest: iso(40 * MIN + 5_000) } }, NOW);
    expect(view).toEqual({ kind: 'counting', remainingMs: 40 * MIN, level: 'ok', approximate: false, explanation: null });
  });

  it('marks the countdown approximate and explains a wide window', () => {
    const view = expiryView({ state: 'Succeeded', outputExpired: false, expiry: { earliest: iso(10 * MIN), latest: iso(20 * MIN) } }, NOW);
    expect(view).toMatchObject({ kind: 'counting', approximate: true, level: 'soon' });
    expect(view.kind === 'counting' && view.explanation).toContain('window of 10 min');
  });

  it('shifts to urgent in the last five minutes and to expired at the end', () => {
    const job = { state: 'Succeeded' as const, outputExpired: false, expiry: { earliest: iso(4 * MIN), latest: iso(4 * MIN) } };
    expect(expiryView(job, NOW)).toMatchObject({ level: 'urgent' });
    expect(expiryView(job, NOW + 4 * MIN)).toEqual({ kind: 'expired', expiredForMs: 0 });
    expect(expiryView(job, NOW + 7 * MIN)).toEqual({ kind: 'expired', expiredForMs: 3 * MIN });
  });

  it("corrects for the server's clock being ahead of the browser's", () => {
    const job = { state: 'Succeeded' as const, outputExpired: false, expiry: { earliest: iso(10 * MIN), latest: iso(10 * MIN) } };
    expect(expiryView(job, NOW, 2 * MIN)).toMatchObject({ remainingMs: 8 * MIN });
  });

  it('for a job pasted after it finished, counts to the latest deletion and says it may go any moment', () => {
    const view = expiryView({ state: 'Succeeded', outputExpired: false, expiry: { unknown: true, earliest: iso(-MIN), latest: iso(59 * MIN) } }, NOW);
    expect(view).toMatchObject({ kind: 'counting', remainingMs: 59 * MIN, approximate: true, level: 'soon' });
    expect(view.kind === 'counting' && view.explanation).toContain('any moment');
    expect(expiryView({ state: 'Succeeded', outputExpired: false, expiry: { unknown: true, earliest: iso(-MIN) } }, NOW).kind).toBe('unknown');
  });

  it('is expired as soon as the output is known gone, and absent for jobs that did not succeed', () => {
    expect(expiryView({ state: 'Succeeded', outputExpired: true, expiry: { earliest: iso(30 * MIN), latest: iso(30 * MIN) } }, NOW).kind).toBe('expired');
    expect(expiryView({ state: 'Failed', outputExpired: false, expiry: null }, NOW).kind).toBe('none');
  });

  it('puts the countdown target at the earliest deletion of a known window and the latest of an unknown one', () => {
    const known = { state: 'Succeeded' as const, expiry: { earliest: iso(10 * MIN), latest: iso(20 * MIN) } };
    expect(countdownTargetLocalMs(known, 0)).toBe(NOW + 10 * MIN);
    expect(countdownTargetLocalMs(known, 2 * MIN)).toBe(NOW + 8 * MIN);
    expect(countdownTargetLocalMs({ state: 'Succeeded', expiry: { unknown: true, earliest: iso(-MIN), latest: iso(59 * MIN) } }, 0)).toBe(NOW + 59 * MIN);
    expect(countdownTargetLocalMs({ state: 'Succeeded', expiry: { unknown: true, earliest: iso(-MIN) } }, 0)).toBeNull();
    expect(countdownTargetLocalMs({ state: 'Failed', expiry: null }, 0)).toBeNull();
  });
});

describe('expired explanation', () => {
  it('says "just now" a few seconds after expiry, not "1 minute ago"', () => {
    expect(expiredSentence(NOW - 3_000, NOW)).toBe('This output expired just now — it can no longer be downloaded.');
  });

  it('counts seconds, then minutes', () => {
    expect(expiredSentence(NOW - 45_000, NOW)).toBe('This output expired 45 seconds ago — it can no longer be downloaded.');
    expect(expiredSentence(NOW - 90_000, NOW)).toBe('This output expired 1 minute ago — it can no longer be downloaded.');
    expect(expiredSentence(NOW - 7 * MIN, NOW)).toBe('This output expired 7 minutes ago — it can no longer be downloaded.');
  });

  it('does not invent a time when the output vanished before the countdown ended or the time is unknown', () => {
    expect(expiredSentence(NOW + MIN, NOW)).toBe('This output has expired — it can no longer be downloaded.');
    expect(expiredSentence(null, NOW)).toBe('This output has expired — it can no longer be downloaded.');
  });
});
