import { describe, expect, it } from 'vitest';
import { formatAgo, plural } from './format.ts';

describe('count labels', () => {
  it('uses the singular for exactly one and the plural otherwise', () => {
    expect(plural(1, 'credit')).toBe('1 credit');
    expect(plural(0, 'credit')).toBe('0 credits');
    expect(plural(2, 'job')).toBe('2 jobs');
    expect(plural(1, 'id')).toBe('1 id');
    expect(plural(1_204, 'output')).toBe('1,204 outputs');
  });

  it('takes an irregular plural', () => {
    expect(plural(1, 'entry', 'entries')).toBe('1 entry');
    expect(plural(3, 'entry', 'entries')).toBe('3 entries');
  });
});

describe('time ago', () => {
  it('says "just now" for the first seconds rather than a minute', () => {
    expect(formatAgo(0)).toBe('just now');
    expect(formatAgo(4_999)).toBe('just now');
  });

  it('counts whole seconds, then whole minutes, then whole hours, rounding down', () => {
    expect(formatAgo(5_000)).toBe('5 seconds ago');
    expect(formatAgo(59_999)).toBe('59 seconds ago');
    expect(formatAgo(60_000)).toBe('1 minute ago');
    expect(formatAgo(119_000)).toBe('1 minute ago');
    expect(formatAgo(3 * 60_000)).toBe('3 minutes ago');
    expect(formatAgo(60 * 60_000)).toBe('1 hour ago');
    expect(formatAgo(5 * 60 * 60_000 + 59 * 60_000)).toBe('5 hours ago');
  });

  it('never reports a negative span', () => {
    expect(formatAgo(-10_000)).toBe('just now');
  });
});
