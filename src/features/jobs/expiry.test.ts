import { describe, expect, it } from 'vitest';
import { expiryView } from './expiry.ts';
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
});
