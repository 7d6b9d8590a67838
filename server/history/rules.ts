/**
 * The ETA, stall and timing rules, as pure functions of what was observed and of `now`.
 *
 * Why these numbers:
 * - ETA: completions are counted over the last 10 minutes (long enough to smooth bursts of small files, short
 *   enough to follow a change of pace). Below 5 completions or 1 minute of history there is nothing honest to
 *   say, so the ETA stays hidden. Completions are treated as a Poisson count: with k of them the rate is known
 *   to about ±1.645/√k (90 %), which gives the range shown; the range only narrows as evidence grows.
 * - "Stalled" (ETA): nothing finished for 5 minutes, or for 3× the usual gap between completions if that is
 *   longer, while jobs remain.
 * - A job is *Stalled?* when its percent and phase were seen unchanged for 4× the median run time of finished
 *   jobs of the same conversion in this batch (at least 3 of them; never under 1 minute), or else for 5 minutes
 *   (STALL_DEFAULT_SECONDS). "Seen": from the change to the tracker's latest answer about the job, not to now. With
 *   10,000 running jobs the tracker reaches each one every few minutes, and a job whose percent moved at every
 *   visit is not stalled because the visits are far apart.
 * - The queue is stuck when the batch's counts have not changed for 10 minutes while jobs remain and the
 *   upstream answers normally (an upstream outage has its own banner).
 */
import type { Eta, StalledJob, TimingStats } from '../../contract/insight-api.ts';

export const INSIGHT_RULES = {
  etaWindowMs: 10 * 60_000,
  etaMinCompletions: 5,
  etaMinWindowMs: 60_000,
  /** z for a two-sided 90 % interval. */
  etaZ: 1.645,
  etaStallMinMs: 5 * 60_000,
  etaStallGapFactor: 3,
  stallFactor: 4,
  stallMinMs: 60_000,
  stallDefaultMs: 5 * 60_000,
  stallMinSamples: 3,
  queueStallMs: 10 * 60_000,
  rateWindowMs: 5 * 60_000,
} as const;

export type InsightRules = { -readonly [K in keyof typeof INSIGHT_RULES]: number };

/** A point of a batch's history reduced to what the ETA needs. */
export interface FinishedPoint {
  at: number;
  /** Jobs in a final state at `at`. */
  finished: number;
}

/** Moments at which jobs finished, with how many: the positive steps of `finished` (removals are not completions). */
export function completions(points: readonly FinishedPoint[]): { at: number; count: number }[] {
  const out: { at: number; count: number }[] = [];
  for (let i = 1; i < points.length; i++) {
    const step = points[i].finished - points[i - 1].finished;
    if (step > 0) out.push({ at: points[i].at, count: step });
  }
  return out;
}

export function estimateEta(
  input: { now: number; remaining: number; points: readonly FinishedPoint[] },
  rules: InsightRules = INSIGHT_RULES,
): Eta {
  const { now, remaining, points } = input;
  if (remaining <= 0) return { kind: 'done' };
  if (points.length === 0) return { kind: 'unknown', reason: 'Nothing observed yet.' };
  const done = completions(points);
  const windowStart = Math.max(now - rules.etaWindowMs, points[0].at);
  const windowMs = now - windowStart;
  const inWindow = done.filter((c) => c.at > windowStart);
  const k = inWindow.reduce((sum, c) => sum + c.count, 0);
  const lastCompletion = done.length > 0 ? done[done.length - 1].at : points[0].at;
  const quietMs = now - lastCompletion;
  const usualGapMs = k > 0 ? windowMs / k : Number.POSITIVE_INFINITY;
  const stallAfter = Math.max(rules.etaStallMinMs, Number.isFinite(usualGapMs) ? rules.etaStallGapFactor * usualGapMs : 0);
  if (quietMs >= stallAfter) {
    return {
      kind: 'stalled',
      sinceMs: quietMs,
      reason: `No job has finished for ${minutes(quietMs)}, while ${remaining} remain (stalled after ${minutes(stallAfter)} without a completion).`,
    };
  }
  if (k < rules.etaMinCompletions || windowMs < rules.etaMinWindowMs) {
    return {
      kind: 'unknown',
      reason: `Needs at least ${rules.etaMinCompletions} completions over at least ${minutes(rules.etaMinWindowMs)} (so far ${k} over ${minutes(windowMs)}).`,
    };
  }
  const ratePerMs = k / windowMs;
  const relative = rules.etaZ / Math.sqrt(k);
  const remainingMs = remaining / ratePerMs;
  return {
    kind: 'estimate',
    remainingMs,
    lowMs: remaining / (ratePerMs * (1 + relative)),
    // A rate known to less than ±100 % still bounds the time from below; the upper end is capped at 5×.
    highMs: remaining / (ratePerMs * Math.max(0.2, 1 - relative)),
    ratePerMinute: ratePerMs * 60_000,
    reason: `${remaining} jobs left at ${round1(ratePerMs * 60_000)} per minute (${k} finished in the last ${minutes(windowMs)}).`,
  };
}

/** Completions per minute over the last `rateWindowMs`. */
export function currentRate(points: readonly FinishedPoint[], now: number, rules: InsightRules = INSIGHT_RULES): number {
  if (points.length === 0) return 0;
  const start = Math.max(now - rules.rateWindowMs, points[0].at);
  // A batch younger than a minute is divided by a whole minute: 3 jobs in 4 s are not "45 per minute".
  const windowMs = Math.max(60_000, now - start);
  const k = completions(points).filter((c) => c.at > start).reduce((sum, c) => sum + c.count, 0);
  return (k / windowMs) * 60_000;
}

/** Completions per whole minute (buckets aligned to the minute), from the first point to `now`, at most `maxBuckets`. */
export function completionsPerMinute(points: readonly FinishedPoint[], now: number, maxBuckets = 120): { t: number[]; count: number[] } {
  if (points.length === 0) return { t: [], count: [] };
  const minute = 60_000;
  const last = Math.floor(now / minute) * minute;
  const first = Math.max(Math.floor(points[0].at / minute) * minute, last - (maxBuckets - 1) * minute);
  const t: number[] = [];
  const count: number[] = [];
  for (let m = first; m <= last; m += minute) {
    t.push(m);
    count.push(0);
  }
  for (const c of completions(points)) {
    const index = Math.floor((c.at - first) / minute);
    if (index >= 0 && index < count.length) count[index] += c.count;
  }
  return { t, count };
}

/** Median and 95th percentile (nearest rank) of durations. */
export function timingStats(durations: readonly number[]): TimingStats {
  if (durations.length === 0) return { count: 0, medianMs: null, p95Ms: null };
  const sorted = [...durations].sort((a, b) => a - b);
  return { count: sorted.length, medianMs: nearestRank(sorted, 0.5), p95Ms: nearestRank(sorted, 0.95) };
}

function nearestRank(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
}

export interface RunningJob {
  jobId: string;
  /** e.g. `pdf→png`: jobs are compared only with the same conversion. */
  conversion: string;
  /** When its percent or phase last changed (or it was first seen running). */
  progressChangedAt: number;
  /** The tracker's latest answer about it (null: none recorded; then now counts). */
  checkedAt: number | null;
}

/** Threshold for one conversion, with its explanation. */
export function stallThreshold(runTimes: readonly number[], conversion: string, rules: InsightRules = INSIGHT_RULES): { ms: number; reason: string } {
  if (runTimes.length < rules.stallMinSamples) {
    return {
      ms: rules.stallDefaultMs,
      reason: `Fewer than ${rules.stallMinSamples} ${conversion} jobs have finished in this batch, so the default of ${minutes(rules.stallDefaultMs)} applies.`,
    };
  }
  const median = timingStats(runTimes).medianMs!;
  const ms = Math.max(rules.stallMinMs, rules.stallFactor * median);
  return {
    ms,
    reason: `${conversion} jobs in this batch usually run ${seconds(median)} (median of ${runTimes.length}); stalled after ${rules.stallFactor}× that, at least ${minutes(rules.stallMinMs)}.`,
  };
}

export function stalledJobs(
  input: { now: number; running: readonly RunningJob[]; runTimesByConversion: ReadonlyMap<string, readonly number[]> },
  rules: InsightRules = INSIGHT_RULES,
): StalledJob[] {
  const thresholds = new Map<string, { ms: number; reason: string }>();
  const out: StalledJob[] = [];
  for (const job of input.running) {
    let threshold = thresholds.get(job.conversion);
    if (!threshold) {
      threshold = stallThreshold(input.runTimesByConversion.get(job.conversion) ?? [], job.conversion, rules);
      thresholds.set(job.conversion, threshold);
    }
    const seenUnchangedMs = (job.checkedAt ?? input.now) - job.progressChangedAt;
    const unchangedMs = input.now - job.progressChangedAt;
    if (seenUnchangedMs >= threshold.ms) out.push({ jobId: job.jobId, unchangedMs, thresholdMs: threshold.ms, reason: threshold.reason });
  }
  return out.sort((a, b) => b.unchangedMs - a.unchangedMs);
}

export function queueStall(
  input: { now: number; remaining: number; lastChangeAt: number | null; upstreamHealthy: boolean },
  rules: InsightRules = INSIGHT_RULES,
): { sinceMs: number; reason: string } | null {
  if (input.remaining <= 0 || input.lastChangeAt === null || !input.upstreamHealthy) return null;
  const sinceMs = input.now - input.lastChangeAt;
  if (sinceMs < rules.queueStallMs) return null;
  return {
    sinceMs,
    reason: `No job of this batch has changed state for ${minutes(sinceMs)} while ${input.remaining} wait and the Convert API answers normally (flagged after ${minutes(rules.queueStallMs)}).`,
  };
}

function minutes(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  const m = Math.round(ms / 60_000);
  return `${m} min`;
}

function seconds(ms: number): string {
  return ms < 60_000 ? `${round1(ms / 1000)} s` : minutes(ms);
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
