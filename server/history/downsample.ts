/**
 * How a batch's counts-over-time history is thinned out as it ages, as pure functions.
 *
 * Why these numbers:
 * - The recorder writes a point whenever the counts change, at most one per second (its flush interval).
 * - The last 10 minutes are what the "completions per minute" and ETA read: kept at full resolution.
 * - Up to an hour old, one point per 15 s still draws a smooth curve; up to a day, one per 2 min; beyond, one
 *   per 15 min. A batch running for a week is then ~2,000 points (~150 KB), an hour-long one ~800.
 * - Counts are a step function, so each bucket keeps its *last* point: the value at the bucket's end is exact,
 *   and cumulative counts (finished jobs) lose nothing; only the shape inside a bucket is forgotten.
 * - The first point is always kept: it is where the batch's history starts.
 */

export interface Tier {
  /** Points younger than this (ms) use this tier's step. */
  maxAgeMs: number;
  /** One point per this many ms (0: every point). */
  stepMs: number;
}

export const HISTORY_TIERS: readonly Tier[] = [
  { maxAgeMs: 10 * 60_000, stepMs: 0 },
  { maxAgeMs: 60 * 60_000, stepMs: 15_000 },
  { maxAgeMs: 24 * 60 * 60_000, stepMs: 2 * 60_000 },
  { maxAgeMs: Number.POSITIVE_INFINITY, stepMs: 15 * 60_000 },
];

/** The times (of `times`, sorted ascending) to delete so that each tier keeps one point per step. */
export function pointsToDrop(times: readonly number[], now: number, tiers: readonly Tier[] = HISTORY_TIERS): number[] {
  const drop: number[] = [];
  for (let i = 1; i < times.length; i++) {
    const at = times[i - 1];
    const next = times[i];
    const step = stepFor(now - at, tiers);
    // `at` is redundant when the next point lies in the same bucket (the bucket keeps its last point).
    // Buckets are aligned to absolute time so that a later compaction never regroups what an earlier one kept.
    if (i - 1 > 0 && step > 0 && Math.floor(at / step) === Math.floor(next / step) && stepFor(now - next, tiers) === step) {
      drop.push(at);
    }
  }
  return drop;
}

function stepFor(ageMs: number, tiers: readonly Tier[]): number {
  for (const tier of tiers) if (ageMs < tier.maxAgeMs) return tier.stepMs;
  return tiers[tiers.length - 1].stepMs;
}

/**
 * Picks at most `maxPoints` of `times` (ascending) for a chart, evenly over the span: the last point of each
 * bucket, plus the first point. Returns indexes into `times`.
 */
export function pickForChart(times: readonly number[], maxPoints: number): number[] {
  if (times.length <= maxPoints) return times.map((_, i) => i);
  const first = times[0];
  const span = times[times.length - 1] - first;
  // maxPoints − 1 buckets (the last point of each) plus the first point.
  const step = Math.max(1, span / Math.max(1, maxPoints - 2));
  const picked: number[] = [0];
  for (let i = 1; i < times.length; i++) {
    const bucket = Math.floor((times[i] - first) / step);
    const nextBucket = i + 1 < times.length ? Math.floor((times[i + 1] - first) / step) : Number.NaN;
    if (bucket !== nextBucket) picked.push(i);
  }
  return picked;
}
