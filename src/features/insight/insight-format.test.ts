import { describe, expect, it } from 'vitest';
import { preciseDuration } from '../../lib/format.ts';
import { etaText, roughDuration, timingText } from './insight-format.ts';

const NOW = new Date(2026, 11, 3, 16, 28, 0).getTime();

describe('ETA text', () => {
  it('says "Done in about 12 min (around 16:40)" with its range', () => {
    const text = etaText(
      { kind: 'estimate', remainingMs: 12 * 60_000, lowMs: 9 * 60_000, highMs: 17 * 60_000, ratePerMinute: 2.5, reason: '30 jobs left at 2.5 per minute.' },
      NOW,
    );
    expect(text.text).toMatch(/^Done in about 12 min \(around (16:40|04:40 PM)\)$/);
    expect(text.detail).toBe('30 jobs left at 2.5 per minute. Likely between 9 min and 15 min (90 %).');
  });

  it('never shows more precision than it has', () => {
    expect(roughDuration(20_000)).toBe('under a minute');
    expect(roughDuration(7.4 * 60_000)).toBe('7 min');
    expect(roughDuration(23 * 60_000)).toBe('25 min');
    expect(roughDuration(44 * 60_000)).toBe('45 min');
    expect(roughDuration(100 * 60_000)).toBe('1.75 h');
  });

  it('says stalled, unknown and done in words', () => {
    expect(etaText({ kind: 'stalled', sinceMs: 6 * 60_000, reason: 'r' }, NOW).text).toBe('Stalled: nothing finished for 6 min');
    expect(etaText({ kind: 'unknown', reason: 'Needs 5.' }, NOW)).toMatchObject({ text: 'ETA: not enough data yet', detail: 'Needs 5.' });
    expect(etaText({ kind: 'done' }, NOW).tone).toBe('done');
  });
});

describe('timing text', () => {
  it('gives median and p95, or says nothing was observed', () => {
    expect(timingText({ count: 3, medianMs: 1_240, p95Ms: 95_000 })).toBe('median 1.2 s · p95 2 min');
    expect(timingText({ count: 0, medianMs: null, p95Ms: null })).toBe('not observed yet');
    expect(preciseDuration(12_000)).toBe('12 s');
  });
});
