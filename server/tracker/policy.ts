/**
 * The tracker's whole poll policy, as pure functions of time, attempt and a random number.
 *
 * Why these numbers:
 * - The upstream allows 1 status request per second per job (bursts to 30) and answers `429` + `Retry-After`
 *   beyond that, so no job is ever polled more often than once per second, and every `Retry-After` wins.
 * - Images finish in 1–2 s, documents in 3–5 s, big files in minutes (CONTRACT.md "suggested poll intervals"):
 *   the first poll comes about 1 s after submission, then each delay grows ×1.5, and a job that has been
 *   running for a long time is not polled faster than a tenth of its age.
 * - Someone watching a batch wants to see changes within seconds (cap 12 s); nobody watching → 60 s, which is
 *   still far inside the 1 h output retention, so the expiry window stays narrow.
 * - ±20 % jitter keeps jobs submitted together from being polled together forever.
 * - On 5xx or network errors each job backs off exponentially with "equal jitter" (half fixed, half random),
 *   so after an outage jobs come back spread out instead of in lock-step.
 */

export const POLICY = {
  firstDelayMs: 1_000,
  growth: 1.5,
  /** A job is polled at most every `age × ageFraction` once it is old (never beyond the cap). */
  ageFraction: 0.1,
  viewedCapMs: 12_000,
  unviewedCapMs: 60_000,
  /** A snapshot read within this window makes a batch "viewed". */
  viewWindowMs: 30_000,
  jitter: 0.2,
  /** The upstream's per-job limit: 1 request per second. */
  minIntervalMs: 1_000,
  errorBackoffBaseMs: 1_000,
  errorBackoffMaxMs: 30_000,
  /** A 401 pauses everything: the key is wrong and every request would fail the same way. */
  authPauseBaseMs: 5_000,
  authPauseMaxMs: 60_000,
  /** Used when a 429 carries no usable `Retry-After`. */
  defaultRetryAfterMs: 5_000,
  /** A `Retry-After` beyond this is treated as this (a misconfigured upstream must not stop tracking for days). */
  maxRetryAfterMs: 15 * 60_000,
  /** This many job-specific 429s within the window → the whole tracker pauses (we are over some account limit). */
  global429Threshold: 3,
  global429WindowMs: 10_000,
  /** Consecutive 5xx/network failures (any job) before requests go one at a time and the tracker pauses. */
  outageStreakThreshold: 3,
  maxInFlight: 8,
  /**
   * All status requests together, per second (TRACKER_MAX_RPS). The API allows 1/s per job but says nothing
   * of a total; 20/s (1,200 a minute) is a tenth of what its per-job limit would allow 200 running jobs, so it
   * keeps a 150,000-job batch from becoming a flood while still polling the ~13 rows a laptop shows every 1.5 s
   * with room to spare. Requests are spaced evenly (one every 1/maxRps s), never sent in bursts.
   */
  maxRps: 20,
  /**
   * A job shown in a tab (a visible row, an open job page) is polled at least this often. With the server's 500 ms
   * push and a tab's 1 s beat, a change shows within 3 s at worst and mostly within about 2 s (the goal is
   * 3 s p95; at 2 s and a 250 ms push bench:ui-live measured 2.98 s). A laptop's 13 rows cost 9 of the 20 requests
   * a second.
   */
  shownCapMs: 1_500,
  /** A tab's report of what it shows counts for this long unless renewed. */
  shownWindowMs: 30_000,
} as const;

export type Policy = { -readonly [K in keyof typeof POLICY]: number };

/** Multiplies by a factor in [1 - jitter, 1 + jitter]. */
export function jittered(ms: number, random: number, jitter: number = POLICY.jitter): number {
  return ms * (1 + (2 * random - 1) * jitter);
}

export interface NextPollInput {
  /** Successful polls of this job so far (0 before the first). */
  attempt: number;
  /** Time since the job was submitted (or first added), ms. */
  ageMs: number;
  viewed: boolean;
  random: number;
  policy?: Policy;
}

/** Delay until the next status poll of an active job. */
export function nextPollDelay({ attempt, ageMs, viewed, random, policy = POLICY }: NextPollInput): number {
  const cap = viewed ? policy.viewedCapMs : policy.unviewedCapMs;
  const grown = policy.firstDelayMs * policy.growth ** Math.max(0, attempt);
  const byAge = Math.max(0, ageMs) * policy.ageFraction;
  const base = Math.min(cap, Math.max(grown, byAge));
  return Math.max(policy.minIntervalMs, jittered(base, random, policy.jitter));
}

/** Backoff after the `failures`-th consecutive 5xx/network failure (1-based): equal jitter, 1, 2, 4 … 30 s. */
export function errorBackoffDelay(failures: number, random: number, policy: Policy = POLICY): number {
  const ceiling = Math.min(policy.errorBackoffMaxMs, policy.errorBackoffBaseMs * 2 ** Math.max(0, failures - 1));
  return Math.max(policy.minIntervalMs, ceiling / 2 + (random * ceiling) / 2);
}

/** Global pause after the `failures`-th consecutive 401. */
export function authPauseDelay(failures: number, random: number, policy: Policy = POLICY): number {
  const ceiling = Math.min(policy.authPauseMaxMs, policy.authPauseBaseMs * 2 ** Math.max(0, failures - 1));
  return jittered(ceiling, random, policy.jitter);
}

/**
 * `Retry-After` in ms: delta-seconds or an HTTP date. Null when absent or unreadable.
 * Clamped to [minIntervalMs, maxRetryAfterMs].
 */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number, policy: Policy = POLICY): number | null {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return null;
  const text = raw.trim();
  if (text === '') return null;
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(text)) ms = Number(text) * 1000;
  else {
    const date = Date.parse(text);
    if (Number.isNaN(date)) return null;
    ms = date - nowMs;
  }
  return Math.min(policy.maxRetryAfterMs, Math.max(policy.minIntervalMs, ms));
}

/** Delay when a job's own poll was refused with 429: at least its Retry-After, plus a little jitter upward. */
export function retryAfterDelay(retryAfterMs: number | null, random: number, policy: Policy = POLICY): number {
  const base = retryAfterMs ?? policy.defaultRetryAfterMs;
  // Only upward: Retry-After is a floor, and jitter spreads jobs released by the same 429 wave.
  return base + random * policy.jitter * base;
}

/** Is a batch "viewed" at `nowMs` given when its snapshot was last read? */
export function isViewed(lastViewedAtMs: number | undefined, nowMs: number, policy: Policy = POLICY): boolean {
  return lastViewedAtMs !== undefined && nowMs - lastViewedAtMs <= policy.viewWindowMs;
}

/** Spread of the first polls when tracking resumes after a restart: no stampede of n jobs at once. */
export function resumeDelay(count: number, random: number, policy: Policy = POLICY): number {
  const spreadMs = Math.min(policy.viewedCapMs, count * 5);
  return policy.firstDelayMs + random * spreadMs;
}

/**
 * Who goes first when the rate cap binds: jobs a tab shows, then jobs about to change, then the rest. The lower,
 * the sooner; within a class, the earlier due.
 */
export const POLL_CLASS = { shown: 0, soon: 1, rest: 2 } as const;
export type PollClass = (typeof POLL_CLASS)[keyof typeof POLL_CLASS];

/** A percent seen at a time (ms). */
export interface ProgressSample {
  percent: number;
  at: number;
}

/**
 * When the job should reach 100 %, from the two latest percents seen: null without a rate (no progress yet,
 * or going backwards). A linear guess; good enough to poll near the moment it is expected to finish.
 */
export function etaMs(previous: ProgressSample | null, current: ProgressSample): number | null {
  if (!previous || current.at <= previous.at || current.percent <= previous.percent) return null;
  const rate = (current.percent - previous.percent) / (current.at - previous.at);
  return Math.max(0, (100 - current.percent) / rate);
}

export interface PlanInput extends NextPollInput {
  /** A tab shows this job now. */
  shown: boolean;
  /**
   * The job holds one of the feeder's slots while uploaded files wait for one (FEED_MAX_ACTIVE): the batch goes
   * only as fast as its end is seen, so it is polled at the upstream's per-job limit.
   */
  feeding?: boolean;
  /** `etaMs` of the job, null when unknown. */
  eta: number | null;
}

/**
 * The next poll of an active job: its delay and its class. A shown job is polled within `shownCapMs`; a job
 * expected to finish before its next regular poll is polled just after its expected finish, ahead of the rest.
 */
export function planNextPoll(input: PlanInput): { delayMs: number; pollClass: PollClass } {
  const policy = input.policy ?? POLICY;
  const regular = nextPollDelay(input);
  if (input.feeding) return { delayMs: Math.max(policy.minIntervalMs, jittered(policy.minIntervalMs, input.random, policy.jitter)), pollClass: POLL_CLASS.shown };
  if (input.shown) return { delayMs: Math.min(regular, Math.max(policy.minIntervalMs, jittered(policy.shownCapMs, input.random, policy.jitter))), pollClass: POLL_CLASS.shown };
  if (input.eta !== null && input.eta < regular) {
    return { delayMs: Math.max(policy.minIntervalMs, input.eta + policy.firstDelayMs / 2), pollClass: POLL_CLASS.soon };
  }
  return { delayMs: regular, pollClass: POLL_CLASS.rest };
}

/**
 * The earliest start of the request after one that starts at `startAt` under the total rate cap: evenly spaced,
 * so any one-second window holds at most `maxRps` starts.
 */
export function nextSlotAt(startAt: number, maxRps: number): number {
  return startAt + 1000 / maxRps;
}
