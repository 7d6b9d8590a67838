/**
 * The tracker: polls the active jobs upstream on the schedule of policy.ts and hands every observation to a
 * sink (the batch store). One process-wide schedule, so the upstream's per-job limit, its `Retry-After`s and a
 * cap on requests in flight are honoured in one place, however many browsers watch.
 */
import { ErrorCode, type Problem } from '../../contract/errors.ts';
import type { JobStatusResponse } from '../../contract/job.ts';
import { isTerminal } from '../../contract/status.ts';
import { ErrorEnvelopeSchema, JobStatusResponseSchema, matches, parseJson, parseUpstreamBody } from '../../contract/upstream-body.ts';
import type { UpstreamHealth } from '../../contract/dashboard-api.ts';
import type { UpstreamClient } from '../upstream.ts';
import { systemClock, type Clock } from './clock.ts';
import { DueQueue } from './due-queue.ts';
import {
  POLICY,
  POLL_CLASS,
  authPauseDelay,
  errorBackoffDelay,
  etaMs,
  jittered,
  nextSlotAt,
  parseRetryAfter,
  planNextPoll,
  retryAfterDelay,
  type Policy,
  type PollClass,
  type ProgressSample,
} from './policy.ts';


/** Where observations go. Called synchronously, in the order they were made. */
export interface TrackerSink {
  /** A status body; the status held at some instant between `sentAt` and `receivedAt`. */
  status(jobId: string, body: JobStatusResponse, sentAt: number, receivedAt: number): void;
  /** 404: deleted upstream or never existed for this key. Polling stops. */
  gone(jobId: string, problem: Problem, at: number): void;
  /** 403: another account's job. Polling stops. */
  forbidden(jobId: string, problem: Problem, at: number): void;
  /** A passing per-job problem (its own 429, a 5xx, an unexpected answer); polling goes on. */
  problem(jobId: string, problem: Problem, at: number): void;
  /** Whether someone looks at a batch holding this job (shorter poll cap). */
  isViewed(jobId: string): boolean;
  /** Whether a tab shows this job right now (a visible row, an open job page): polled first and often. */
  isShown?(jobId: string): boolean;
  /** Whether uploaded files wait for the feeder slot this job holds: polled at the per-job limit. */
  isFeeding?(jobId: string): boolean;
}

export interface TrackerOptions {
  maxInFlight: number;
  /** All status requests together, per second (TRACKER_MAX_RPS). */
  maxRps: number;
  /** Give up on one status request after this long (counts as a network failure). */
  requestTimeoutMs: number;
  policy: Partial<Policy>;
}

interface Entry {
  id: string;
  /** Submission (or first-added) time: the job's age drives its poll interval. */
  since: number;
  /** Keep polling after the next answer (false: a one-shot refresh of a job not otherwise tracked). */
  active: boolean;
  attempt: number;
  failures: number;
  gen: number;
  queued: boolean;
  inFlight: boolean;
  lastStartAt: number;
  /** When the queued poll is due (meaningful while `queued`). */
  due: number;
  /** A job-specific Retry-After: no request before this. */
  notBefore: number;
  /** Which queue the queued poll waits in: who goes first when the rate cap binds. */
  pollClass: PollClass;
  /** The two latest percents seen, for the expected finish. */
  previousSample: ProgressSample | null;
  lastSample: ProgressSample | null;
  waiters: (() => void)[];
}

export interface Tracker {
  /** Starts (or keeps) polling an active job. `delayMs` overrides the first delay. */
  track(jobId: string, since: number, delayMs?: number): void;
  untrack(jobId: string): void;
  isTracked(jobId: string): boolean;
  /** Polls the job now if its limits permit and resolves when that answer is recorded; else resolves at once. */
  refresh(jobId: string, since: number): Promise<void>;
  /** Polls soon (about a second), e.g. after a cancel went through the proxy. */
  pokeSoon(jobId: string, since: number): void;
  /**
   * One poll of a job that is not being tracked, at `at` (e.g. when a finished job's output must have
   * expired, to confirm it). Ignored while the job is tracked (its polls will see it).
   */
  checkAt(jobId: string, since: number, at: number): void;
  /** A batch just became viewed: pull its jobs' next polls within the viewed cap. */
  expedite(jobIds: Iterable<string>): void;
  /** A tab now shows these jobs: their next polls come within the shown cap, ahead of everything else. */
  show(jobIds: Iterable<string>): void;
  health(): UpstreamHealth;
  /** Resolves when no request is in flight (tests use it to let the fake clock move on). */
  settled(): Promise<void>;
  close(): Promise<void>;
  readonly trackedCount: number;
}

export function createTracker(opts: {
  upstream: UpstreamClient;
  sink: TrackerSink;
  clock?: Clock;
  random?: () => number;
  options?: Partial<TrackerOptions>;
}): Tracker {
  const clock = opts.clock ?? systemClock;
  const random = opts.random ?? Math.random;
  const policy: Policy = { ...POLICY, ...opts.options?.policy };
  const maxInFlight = opts.options?.maxInFlight ?? policy.maxInFlight;
  const maxRps = opts.options?.maxRps ?? policy.maxRps;
  const requestTimeoutMs = opts.options?.requestTimeoutMs ?? 30_000;
  const { upstream, sink } = opts;

  const entries = new Map<string, Entry>();
  // One queue per poll class (POLL_CLASS order): a due shown job starts before a due job of any other class.
  const queues = [new DueQueue(), new DueQueue(), new DueQueue()];
  /** The earliest start of the next request under the total rate cap. */
  let slotAt = -Infinity;
  const closing = new AbortController();
  let closed = false;
  let inFlight = 0;
  let timer: unknown = null;
  let timerAt = Infinity;
  let pausedUntil = 0;
  /** Consecutive 5xx/network failures across all jobs; reset by any answer that is not one. */
  let outageStreak = 0;
  let authFailures = 0;
  let recent429: number[] = [];
  let health: UpstreamHealth = { state: 'unknown', error: null, since: null };
  let idleWaiters: (() => void)[] = [];

  function setHealth(state: UpstreamHealth['state'], error: Problem | null): void {
    if (health.state === state && health.error?.error === error?.error) return;
    health = { state, error, since: new Date(clock.now()).toISOString() };
  }

  function entryFor(jobId: string, since: number, active: boolean): Entry {
    let entry = entries.get(jobId);
    if (!entry) {
      entry = {
        id: jobId, since, active, attempt: 0, failures: 0, gen: 0, queued: false, inFlight: false,
        lastStartAt: -Infinity, due: 0, notBefore: 0, waiters: [], pollClass: POLL_CLASS.rest,
        previousSample: null, lastSample: null,
      };
      entries.set(jobId, entry);
    } else if (active) entry.active = true;
    return entry;
  }

  function schedule(entry: Entry, delayMs: number, pollClass: PollClass = entry.pollClass): void {
    const now = clock.now();
    // Never two polls of one job within a second, and never before its own Retry-After.
    const due = Math.max(now + delayMs, entry.lastStartAt + policy.minIntervalMs, entry.notBefore);
    entry.gen++;
    entry.queued = true;
    entry.due = due;
    entry.pollClass = pollClass;
    queues[pollClass].push(entry.id, due, entry.gen);
    arm();
  }

  /** The queued poll to start next: the most urgent class with one due by `now`, else the earliest due of all. */
  function nextUp(now: number): { queue: DueQueue; due: number } | null {
    let earliest: { queue: DueQueue; due: number } | null = null;
    for (const queue of queues) {
      dropStale(queue);
      const top = queue.peek();
      if (!top) continue;
      if (top.due <= now) return { queue, due: top.due };
      if (!earliest || top.due < earliest.due) earliest = { queue, due: top.due };
    }
    return earliest;
  }

  function arm(): void {
    if (closed) return;
    const now = clock.now();
    let at: number;
    if (pausedUntil > now) at = pausedUntil;
    else {
      const top = nextUp(now);
      if (!top || inFlight >= currentCap()) return clearArm();
      at = Math.max(top.due, slotAt);
    }
    if (at >= timerAt && timer !== null) return;
    clearArm();
    timerAt = at;
    timer = clock.setTimeout(() => {
      timer = null;
      timerAt = Infinity;
      pump();
    }, Math.max(0, at - now));
  }

  function clearArm(): void {
    if (timer !== null) clock.clearTimeout(timer);
    timer = null;
    timerAt = Infinity;
  }

  function dropStale(queue: DueQueue): void {
    for (;;) {
      const top = queue.peek();
      if (!top) return;
      const entry = entries.get(top.id);
      if (entry && entry.queued && entry.gen === top.gen) return;
      queue.pop();
    }
  }

  /** The upstream is down or refuses our key: everything would fail the same way. */
  function degraded(): boolean {
    return outageStreak >= policy.outageStreakThreshold || authFailures > 0;
  }

  /** While degraded, requests go one at a time: one probe, not a stampede, finds out when it is over. */
  function currentCap(): number {
    return degraded() ? 1 : maxInFlight;
  }

  function pump(): void {
    if (closed) return;
    const now = clock.now();
    if (pausedUntil > now) return arm();
    while (inFlight < currentCap() && now >= slotAt) {
      const next = nextUp(now);
      if (!next || next.due > now) break;
      const top = next.queue.pop()!;
      const entry = entries.get(top.id)!;
      entry.queued = false;
      slotAt = nextSlotAt(now, maxRps);
      void poll(entry);
    }
    arm();
  }

  async function poll(entry: Entry): Promise<void> {
    inFlight++;
    entry.inFlight = true;
    const sentAt = clock.now();
    entry.lastStartAt = sentAt;
    try {
      let status: number;
      let headers: Record<string, string | string[] | undefined>;
      let text: string;
      try {
        const res = await upstream.request({
          method: 'GET',
          path: `/convert/job/${entry.id}`,
          headers: { accept: 'application/json' },
          signal: AbortSignal.any([closing.signal, AbortSignal.timeout(requestTimeoutMs)]),
        });
        status = res.statusCode;
        headers = res.headers;
        text = await upstream.text(res);
      } catch (err) {
        if (closed) return;
        onNetworkFailure(entry, err);
        return;
      }
      if (closed) return;
      handleAnswer(entry, status, headers, text, sentAt);
    } finally {
      inFlight--;
      entry.inFlight = false;
      const waiters = entry.waiters;
      entry.waiters = [];
      for (const w of waiters) w();
      pump();
      // Idle means nothing in flight after the next due polls have started, so a fake clock may move on.
      if (inFlight === 0) {
        const idle = idleWaiters;
        idleWaiters = [];
        for (const w of idle) w();
      }
    }
  }

  function handleAnswer(
    entry: Entry,
    status: number,
    headers: Record<string, string | string[] | undefined>,
    text: string,
    sentAt: number,
  ): void {
    const now = clock.now();
    const parsed = status === 200 ? parseUpstreamBody(JobStatusResponseSchema, text) : null;
    const envelope = parsed ? undefined : parseJson(text);
    // A 200 that is not a status is this job's problem (noted, polled again later), never the batch's.
    const problem: Problem = parsed
      ? { error: ErrorCode.upstreamBadResponse, detail: parsed.ok ? null : parsed.reason, status }
      : matches(ErrorEnvelopeSchema, envelope)
        ? { ...envelope, detail: envelope.detail ?? null, status }
        : { error: `http_${status}`, detail: text.slice(0, 200) || null, status };

    if (parsed?.ok) {
      const body = parsed.value;
      upstreamAnswered();
      setHealth('ok', null);
      entry.failures = 0;
      entry.attempt++;
      const percent = body.progress?.percent;
      if (typeof percent === 'number' && Number.isFinite(percent)) {
        entry.previousSample = entry.lastSample;
        entry.lastSample = { percent, at: now };
      }
      if (isTerminal(body.status)) {
        // Stopped before the sink hears of it, so the sink may schedule a later one-shot check (expiry).
        stop(entry);
        sink.status(entry.id, body, sentAt, now);
        return;
      }
      sink.status(entry.id, body, sentAt, now);
      if (entry.active) {
        const plan = nextPlan(entry);
        schedule(entry, plan.delayMs, plan.pollClass);
      }
      return;
    }
    if (status === 404) {
      upstreamAnswered();
      setHealth('ok', null);
      sink.gone(entry.id, problem, now);
      return stop(entry);
    }
    if (status === 403) {
      upstreamAnswered();
      setHealth('ok', null);
      sink.forbidden(entry.id, problem, now);
      return stop(entry);
    }
    if (status === 401) {
      // The key is refused: a problem of the whole upstream, one banner, not one red row per job.
      outageStreak = 0;
      authFailures++;
      setHealth('unauthorized', problem);
      pausedUntil = Math.max(pausedUntil, now + authPauseDelay(authFailures, random(), policy));
      if (entry.active) schedule(entry, 0);
      return;
    }
    if (status === 429) {
      upstreamAnswered();
      const retryAfter = parseRetryAfter(headers['retry-after'], now, policy);
      const jobSpecific = problem.error === 'rate_limited';
      recent429 = recent429.filter((t) => now - t <= policy.global429WindowMs);
      recent429.push(now);
      if (!jobSpecific || recent429.length >= policy.global429Threshold) {
        pausedUntil = Math.max(pausedUntil, now + retryAfterDelay(retryAfter, random(), policy));
        setHealth('rate_limited', problem);
      }
      entry.notBefore = Math.max(entry.notBefore, now + (retryAfter ?? policy.defaultRetryAfterMs));
      sink.problem(entry.id, problem, now);
      if (entry.active) schedule(entry, retryAfterDelay(retryAfter, random(), policy));
      return;
    }
    if (status >= 500) {
      onFailure(entry, problem, 'unreachable');
      return;
    }
    // Any other answer (an unexpected 4xx, or a 200 that is not a status): note it, back off, keep going.
    upstreamAnswered();
    entry.failures++;
    sink.problem(entry.id, problem, now);
    if (entry.active) schedule(entry, errorBackoffDelay(entry.failures, random(), policy));
  }

  function upstreamAnswered(): void {
    const recovering = degraded();
    outageStreak = 0;
    authFailures = 0;
    if (recovering) respread();
  }

  /**
   * After an outage (or a refused key, once fixed) most jobs are overdue at once. Spread them over a few seconds so that the upstream,
   * just back, does not get every job in the same instant (and again in step on every later round).
   */
  function respread(): void {
    const now = clock.now();
    let overdue = 0;
    for (const e of entries.values()) if (e.active && e.queued && e.due <= now + policy.viewedCapMs) overdue++;
    const spreadMs = Math.min(policy.viewedCapMs, Math.max(2 * policy.minIntervalMs, overdue * 50));
    for (const e of entries.values()) {
      if (e.active && e.queued && e.due <= now + spreadMs) schedule(e, random() * spreadMs);
    }
  }

  function onNetworkFailure(entry: Entry, err: unknown): void {
    const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    onFailure(entry, { error: 'upstream.unreachable', detail, status: 502 }, 'unreachable');
  }

  function onFailure(entry: Entry, problem: Problem, state: UpstreamHealth['state']): void {
    const now = clock.now();
    outageStreak++;
    entry.failures++;
    if (problem.status === 502 || outageStreak >= policy.outageStreakThreshold) setHealth(state, problem);
    if (outageStreak >= policy.outageStreakThreshold) {
      // Everything is failing: pause globally too, with jitter, so the next probe is not on a fixed beat.
      const pauseFor = errorBackoffDelay(outageStreak - policy.outageStreakThreshold + 1, random(), policy);
      pausedUntil = Math.max(pausedUntil, now + pauseFor);
    }
    if (entry.active) schedule(entry, errorBackoffDelay(entry.failures, random(), policy));
  }

  function nextPlan(entry: Entry): { delayMs: number; pollClass: PollClass } {
    const shown = sink.isShown?.(entry.id) ?? false;
    return planNextPoll({
      attempt: entry.attempt,
      ageMs: clock.now() - entry.since,
      viewed: shown || sink.isViewed(entry.id),
      shown,
      feeding: sink.isFeeding?.(entry.id) ?? false,
      eta: entry.lastSample ? etaMs(entry.previousSample, entry.lastSample) : null,
      random: random(),
      policy,
    });
  }

  function stop(entry: Entry): void {
    entry.active = false;
    entry.queued = false;
    entry.gen++;
  }

  return {
    track(jobId, since, delayMs) {
      if (closed) return;
      const entry = entryFor(jobId, since, true);
      if (entry.queued || entry.inFlight) return;
      schedule(entry, delayMs ?? jittered(policy.firstDelayMs, random(), policy.jitter));
    },
    untrack(jobId) {
      const entry = entries.get(jobId);
      if (!entry) return;
      stop(entry);
      if (!entry.inFlight) entries.delete(jobId);
    },
    isTracked(jobId) {
      return entries.get(jobId)?.active === true;
    },
    refresh(jobId, since) {
      if (closed) return Promise.resolve();
      const now = clock.now();
      const existing = entries.get(jobId);
      if (existing?.inFlight) return new Promise<void>((resolve) => existing.waiters.push(resolve));
      if (pausedUntil > now) return Promise.resolve();
      if (existing && (now < existing.lastStartAt + policy.minIntervalMs || now < existing.notBefore)) {
        return Promise.resolve();
      }
      const entry = entryFor(jobId, since, false);
      return new Promise<void>((resolve) => {
        entry.waiters.push(resolve);
        // Someone asked for it: ahead of routine polls.
        schedule(entry, 0, POLL_CLASS.shown);
        pump();
      });
    },
    pokeSoon(jobId, since) {
      if (closed) return;
      const entry = entryFor(jobId, since, false);
      if (entry.inFlight) return;
      schedule(entry, policy.firstDelayMs);
    },
    checkAt(jobId, since, at) {
      if (closed) return;
      const entry = entryFor(jobId, since, false);
      if (entry.active) return;
      schedule(entry, Math.max(0, at - clock.now()), POLL_CLASS.rest);
    },
    expedite(jobIds) {
      if (closed) return;
      const now = clock.now();
      for (const id of jobIds) {
        const entry = entries.get(id);
        if (!entry || !entry.active || !entry.queued || entry.due - now <= policy.viewedCapMs) continue;
        // Spread over the viewed cap, so opening a big batch does not poll all of it at once.
        schedule(entry, policy.firstDelayMs + random() * (policy.viewedCapMs - policy.firstDelayMs));
      }
    },
    show(jobIds) {
      if (closed) return;
      const now = clock.now();
      for (const id of jobIds) {
        const entry = entries.get(id);
        if (!entry || !entry.active || !entry.queued) continue;
        if (entry.pollClass === POLL_CLASS.shown && entry.due - now <= policy.shownCapMs) continue;
        schedule(entry, Math.min(Math.max(0, entry.due - now), random() * policy.shownCapMs), POLL_CLASS.shown);
      }
    },
    health: () => health,
    settled() {
      if (inFlight === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
    async close() {
      closed = true;
      clearArm();
      closing.abort();
      for (const queue of queues) queue.clear();
      for (const entry of entries.values()) for (const w of entry.waiters) w();
      entries.clear();
      await new Promise<void>((resolve) => (inFlight === 0 ? resolve() : idleWaiters.push(resolve)));
    },
    get trackedCount() {
      let n = 0;
      for (const e of entries.values()) if (e.active) n++;
      return n;
    },
  };
}
