import { describe, expect, it } from 'vitest';
import { chartDataKey } from './chart-data-key.ts';

describe('chartDataKey', () => {
  const at = (now: number, running = 5) => [[100, 200, now], [1, 2, running]];

  it('stays the same while only "now" moves within its step', () => {
    // 1,000,020 s is a multiple of 30.
    expect(chartDataKey(at(1_000_020))).toBe(chartDataKey(at(1_000_049)));
  });

  it('changes when "now" moves into the next step', () => {
    expect(chartDataKey(at(1_000_049))).not.toBe(chartDataKey(at(1_000_050)));
  });

  it('changes at once when any value changes, the last one included', () => {
    expect(chartDataKey(at(1_000_000, 5))).not.toBe(chartDataKey(at(1_000_000, 6)));
    expect(chartDataKey([[100, 250, 1_000_000], [1, 2, 5]])).not.toBe(chartDataKey(at(1_000_000)));
    expect(chartDataKey([[100, 200, 1_000_000], [1, 3, 5]])).not.toBe(chartDataKey(at(1_000_000)));
  });

  it('tells an empty chart from one with points', () => {
    expect(chartDataKey([[], []])).not.toBe(chartDataKey(at(1_000_000)));
  });
});
