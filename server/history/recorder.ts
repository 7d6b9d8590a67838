/**
 * Records what the tracker observes into the history tables (migration 2 in server/batches/store.ts) and reads
 * them back as insight: counts over time, ETA, wait/run times, stalls, failure groups, exports, totals.
 *
 * - Per job (`jobObserved`, called where a status is recorded): when it was first seen running, and when its
 *   percent or phase last changed.
 * - Per batch (a 1 s tick): the counts by state, written as a point when they differ from the last point;
 *   old points are thinned out once a minute (downsample.ts). Batches whose revision did not move are skipped,
 *   and a batch so big that counting it takes a while is counted less often (at most 2 % of a core).
 * The same tick derives the batch events (finished, first failure) and, every 30 s, outputs about to expire.
 */
import type { TrackedState, UpstreamHealth } from '../../contract/dashboard-api.ts';
import { jobTimes, type BatchInsight, type BatchTotals, type ExportRow, type InsightTotals } from '../../contract/insight-api.ts';
import { isFiltered, matchesJobFilter, type JobFilter } from '../../contract/job-filter.ts';
import { expiryWindow, iso } from '../batches/expiry.ts';
import { toBatchJob } from '../batches/views.ts';
import { CHANGING_STATES, DONE_STATES, FINAL_STATES } from '../../contract/tracked-state.ts';
import type { BatchStore, JobRow } from '../batches/store.ts';
import type { Clock } from '../tracker/clock.ts';
import { pickForChart, pointsToDrop } from './downsample.ts';
import type { BatchEvent } from './events.ts';
import { failureGroups, type FailedJob } from './failure-groups.ts';
import {
  INSIGHT_RULES,
  completionsPerMinute,
  currentRate,
  estimateEta,
  queueStall,
  stalledJobs,
  timingStats,
  type FinishedPoint,
  type InsightRules,
  type RunningJob,
} from './rules.ts';

const TICK_MS = 1_000;
const COMPACT_EVERY_MS = 60_000;
const EXPIRY_SCAN_EVERY_MS = 30_000;
/** "Expiring soon": the earliest possible deletion is within this. */
export const EXPIRING_SOON_MS = 10 * 60_000;
const CHART_MAX_POINTS = 400;
const EXPORT_PAGE = 500;
/** An unchanged batch's insight is reused this long (the ETA and stall figures move with time, not only with jobs). */
const INSIGHT_REUSE_MS = 4_000;
/** Jobs read per step of an insight (a few ms each). */
const INSIGHT_PAGE = 2_000;

type Counts = Partial<Record<TrackedState, number>>;

export interface HistoryOptions {
  store: BatchStore;
  clock: Clock;
  retentionSeconds: number;
  health: () => UpstreamHealth;
  onEvent?: (event: BatchEvent) => void;
  /** Rules' numbers that differ from INSIGHT_RULES (STALL_DEFAULT_SECONDS). */
  rules?: Partial<InsightRules>;
}

export type History = ReturnType<typeof createHistory>;

interface InsightJobRow {
  id: string;
  state: TrackedState;
  file_name: string | null;
  target_format: string | null;
  submitted_at: number | null;
  first_seen_terminal_at: number | null;
  last_json: string | null;
  first_running_at: number | null;
  progress_changed_at: number | null;
  last_checked_at: number | null;
}

export function createHistory(opts: HistoryOptions) {
  const { store, clock } = opts;
  const db = store.db;
  const retentionMs = opts.retentionSeconds * 1000;
  const rules: InsightRules = { ...INSIGHT_RULES, ...opts.rules };
  const q = {
    observed: db.prepare<[string], { first_running_at: number | null; progress_key: number | null }>(
      'SELECT first_running_at, progress_key FROM job_observed WHERE job_id = ?',
    ),
    upsertObserved: db.prepare<[string, number | null, number | null, number | null]>(
      `INSERT INTO job_observed (job_id, first_running_at, progress_key, progress_changed_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (job_id) DO UPDATE SET first_running_at = coalesce(first_running_at, excluded.first_running_at),
         progress_key = excluded.progress_key, progress_changed_at = excluded.progress_changed_at`,
    ),
    setFirstRunning: db.prepare<[number, string]>('UPDATE job_observed SET first_running_at = coalesce(first_running_at, ?) WHERE job_id = ?'),
    lastPoint: db.prepare<[string], { at: number; counts: string }>('SELECT at, counts FROM batch_history WHERE batch_id = ? ORDER BY at DESC LIMIT 1'),
    insertPoint: db.prepare<[string, number, string]>('INSERT OR REPLACE INTO batch_history (batch_id, at, counts) VALUES (?, ?, ?)'),
    points: db.prepare<[string], { at: number; counts: string }>('SELECT at, counts FROM batch_history WHERE batch_id = ? ORDER BY at'),
    pointTimes: db.prepare<[string], number>('SELECT at FROM batch_history WHERE batch_id = ? ORDER BY at').pluck(),
    deletePoint: db.prepare<[string, number]>('DELETE FROM batch_history WHERE batch_id = ? AND at = ?'),
    insightRowsPage: db.prepare<[string, number, number], InsightJobRow & { link_rowid: number }>(
      `SELECT bj.rowid AS link_rowid, j.id, j.state, j.file_name, j.target_format, j.submitted_at, j.first_seen_terminal_at,
         CASE WHEN j.state = 'Failed' THEN j.last_json END AS last_json, o.first_running_at, o.progress_changed_at, j.last_checked_at
       FROM batch_jobs bj JOIN jobs j ON j.id = bj.job_id LEFT JOIN job_observed o ON o.job_id = j.id
       WHERE bj.batch_id = ? AND bj.rowid > ? ORDER BY bj.rowid LIMIT ?`,
    ),
    exportPage: db.prepare<[string, number, number], JobRow & { link_rowid: number; link_added_at: number; first_running_at: number | null }>(
      `SELECT bj.rowid AS link_rowid, bj.added_at AS link_added_at, j.*, o.first_running_at
       FROM batch_jobs bj JOIN jobs j ON j.id = bj.job_id LEFT JOIN job_observed o ON o.job_id = j.id
       WHERE bj.batch_id = ? AND bj.rowid > ? ORDER BY bj.rowid LIMIT ?`,
    ),
    exportOne: db.prepare<[string, string], JobRow & { link_rowid: number; link_added_at: number; first_running_at: number | null }>(
      `SELECT bj.rowid AS link_rowid, bj.added_at AS link_added_at, j.*, o.first_running_at
       FROM batch_jobs bj JOIN jobs j ON j.id = bj.job_id LEFT JOIN job_observed o ON o.job_id = j.id
       WHERE bj.batch_id = ? AND bj.job_id = ?`,
    ),
    // Earliest possible deletion, as expiry.ts computes it; for a window of unknown start, the latest (else
    // every id pasted after it finished would be "expiring" all the time).
    expiringSoon: db.prepare<[{ retention: number; now: number; until: number }], { batch_id: string; job_id: string; earliest: number }>(
      `SELECT bj.batch_id, j.id AS job_id,
         CASE WHEN j.last_seen_active_at IS NULL OR j.last_seen_active_at > j.first_seen_terminal_at
              THEN j.first_seen_terminal_at + @retention
              ELSE max(j.last_seen_active_at + @retention, j.first_seen_terminal_at) END AS earliest
       FROM jobs j JOIN batch_jobs bj ON bj.job_id = j.id
       WHERE j.state = 'Succeeded' AND j.has_output = 1 AND j.output_expired = 0 AND j.downloaded_at IS NULL
         AND j.kept_at IS NULL AND j.first_seen_terminal_at IS NOT NULL AND earliest > @now AND earliest <= @until`,
    ),
    activeByBatch: db.prepare<[], { batch_id: string; n: number }>(
      `SELECT bj.batch_id, count(*) AS n FROM batch_jobs bj JOIN jobs j ON j.id = bj.job_id
       WHERE j.state IN ('Unknown', 'Queued', 'Running') GROUP BY bj.batch_id`,
    ),
    failedByBatch: db.prepare<[number], { batch_id: string; n: number }>(
      `SELECT bj.batch_id, count(*) AS n FROM batch_jobs bj JOIN jobs j ON j.id = bj.job_id
       WHERE j.state = 'Failed' AND j.first_seen_terminal_at >= ? GROUP BY bj.batch_id`,
    ),
    firstFailed: db.prepare<[string], { id: string; last_json: string | null }>(
      `SELECT j.id, j.last_json FROM batch_jobs bj JOIN jobs j ON j.id = bj.job_id WHERE bj.batch_id = ? AND j.state = 'Failed'
       ORDER BY j.first_seen_terminal_at LIMIT 1`,
    ),
  };

  const lastRevision = new Map<string, number>();
  const lastCounts = new Map<string, Counts>();
  const lastCompactedAt = new Map<string, number>();
  const notBefore = new Map<string, number>();
  const expiryNotified = new Set<string>();
  let lastExpiryScan = 0;
  let timer: unknown = null;
  let stopped = true;

  function countsNow(batchId: string): Counts {
    const counts: Counts = {};
    // The store's kept totals: a lookup, where a count over a 100,000-job batch took ~50 ms every tick.
    for (const r of store.stateCounts(batchId)) counts[r.state] = r.n;
    return counts;
  }

  function previousCounts(batchId: string): Counts | null {
    const cached = lastCounts.get(batchId);
    if (cached) return cached;
    const last = q.lastPoint.get(batchId);
    return last ? (JSON.parse(last.counts) as Counts) : null;
  }

  function flush(): void {
    const now = clock.now();
    for (const batch of store.listBatches()) {
      if (lastRevision.get(batch.id) === batch.revision) continue;
      if (now < (notBefore.get(batch.id) ?? 0)) continue;
      lastRevision.set(batch.id, batch.revision);
      const started = performance.now();
      const counts = countsNow(batch.id);
      // Counting a big batch costs milliseconds: its points come at most every 50× that cost (≤ 2 % of a core).
      notBefore.set(batch.id, now + Math.max(0, (performance.now() - started) * 50 - TICK_MS));
      const before = previousCounts(batch.id);
      if (before && sameCounts(before, counts)) continue;
      q.insertPoint.run(batch.id, now, JSON.stringify(counts));
      lastCounts.set(batch.id, counts);
      detectEvents(batch.id, batch.name, before ?? {}, counts, now);
      if (now - (lastCompactedAt.get(batch.id) ?? 0) >= COMPACT_EVERY_MS) compact(batch.id, now);
    }
    if (now - lastExpiryScan >= EXPIRY_SCAN_EVERY_MS) {
      lastExpiryScan = now;
      scanExpiring(now);
    }
  }

  const compact = db.transaction((batchId: string, now: number) => {
    lastCompactedAt.set(batchId, now);
    for (const at of pointsToDrop(q.pointTimes.all(batchId), now)) q.deletePoint.run(batchId, at);
  });

  function detectEvents(batchId: string, batchName: string, before: Counts, after: Counts, at: number): void {
    if (!opts.onEvent) return;
    const jobCount = total(after);
    if ((before.Failed ?? 0) === 0 && (after.Failed ?? 0) > 0) {
      const first = q.firstFailed.get(batchId);
      const code = first?.last_json ? ((JSON.parse(first.last_json) as { error?: { code?: string } | null }).error?.code ?? null) : null;
      opts.onEvent({ kind: 'first_failure', batchId, batchName, at, jobCount, counts: after, failure: first ? { jobId: first.id, code } : undefined });
    }
    if (jobCount > 0 && remainingOf(before) > 0 && remainingOf(after) === 0) {
      opts.onEvent({ kind: 'batch_finished', batchId, batchName, at, jobCount, counts: after });
    }
  }

  function scanExpiring(now: number): void {
    if (!opts.onEvent) return;
    const byBatch = new Map<string, { earliest: number; jobIds: string[] }>();
    for (const r of q.expiringSoon.all({ retention: retentionMs, now, until: now + EXPIRING_SOON_MS })) {
      if (expiryNotified.has(`${r.batch_id}/${r.job_id}`)) continue;
      const entry = byBatch.get(r.batch_id) ?? { earliest: r.earliest, jobIds: [] };
      entry.earliest = Math.min(entry.earliest, r.earliest);
      entry.jobIds.push(r.job_id);
      byBatch.set(r.batch_id, entry);
    }
    for (const [batchId, entry] of byBatch) {
      const batch = store.getBatch(batchId);
      if (!batch) continue;
      for (const id of entry.jobIds) expiryNotified.add(`${batchId}/${id}`);
      const counts = lastCounts.get(batchId) ?? countsNow(batchId);
      opts.onEvent({
        kind: 'outputs_expiring',
        batchId,
        batchName: batch.name,
        at: now,
        jobCount: total(counts),
        counts,
        expiring: { count: entry.jobIds.length, earliestAt: entry.earliest, jobIds: entry.jobIds.slice(0, 20) },
      });
    }
  }

  let lastFlushError: string | null = null;

  function tick(): void {
    timer = null;
    if (stopped) return;
    try {
      flush();
    } catch (error) {
      // A store that cannot be written (disk full, its file removed) is reported by the store and the health
      // route; the history must not take the process down from a timer, which would also free the data folder.
      const code = (error as { code?: string }).code ?? 'error';
      if (code !== lastFlushError) console.error(`The batch history could not be saved: ${(error as Error).message}`);
      lastFlushError = code;
    } finally {
      if (!stopped) timer = clock.setTimeout(tick, TICK_MS);
    }
  }

  function finishedPoints(batchId: string): { at: number; counts: Counts; finished: number }[] {
    return q.points.all(batchId).map((p) => {
      const counts = JSON.parse(p.counts) as Counts;
      return { at: p.at, counts, finished: finishedOf(counts) };
    });
  }

  const insightCache = new Map<string, { value: BatchInsight; revision: number; at: number; costMs: number }>();
  const insightRunning = new Map<string, Promise<BatchInsight>>();

  const methods = {
    /** Called after the store recorded an observation of `jobId` (tracker poll, or a status seen by the proxy). */
    jobObserved(jobId: string, at: number): void {
      const job = store.getJob(jobId);
      if (!job) return;
      const last = job.last_json === null ? null : (JSON.parse(job.last_json) as { progress?: { phase?: string | null } | null });
      // Only a running job's progress matters (stall rule); a finished job keeps its first running time only, and
      // the key is a 32-bit hash: 10,000 jobs' rows then stay a few hundred KB.
      const key = job.state === 'Running' ? progressHash(`${job.percent}|${last?.progress?.phase ?? ''}`) : null;
      const seen = q.observed.get(jobId);
      const running = job.state === 'Running' ? at : null;
      if (!seen || seen.progress_key !== key) q.upsertObserved.run(jobId, running, key, key === null ? null : at);
      else if (running !== null && seen.first_running_at === null) q.setFirstRunning.run(running, jobId);
    },
    start(): void {
      if (!stopped) return;
      stopped = false;
      timer = clock.setTimeout(tick, TICK_MS);
    },
    stop(): void {
      stopped = true;
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
    },
    /** Writes pending points now (tests, and before reading a batch's insight). */
    flush,

    /**
     * A big batch's insight reads every job (~1 s for 100,000 on a busy machine), a page at a time with a turn of
     * the event loop between pages, so the tracker and first loads never wait behind it. A costly one is reused
     * for 10× the time it kept the thread busy, so that several open tabs cost it once; a cheap one is reused for
     * 4 s while jobs remain (under the 5 s at which a tab polls it: one tab always gets a fresh one, twenty compute
     * it at most 15 times a minute instead of 12), and once the batch is done only if it was computed at a revision
     * the asking tab has seen (`seen`; without it, the batch's current one): a tab that refetches because the counts
     * of a finished batch moved must see the jobs that moved them. Tabs asking while it is computed share the one
     * computation.
     */
    insight(batchId: string, seen?: number): Promise<BatchInsight> {
      const now = clock.now();
      const revision = store.getBatch(batchId)?.revision ?? -1;
      const needed = seen === undefined ? revision : Math.min(seen, revision);
      const cached = insightCache.get(batchId);
      if (cached) {
        const costly = cached.costMs * 10 > INSIGHT_REUSE_MS;
        const reuseMs = costly ? cached.costMs * 10 : INSIGHT_REUSE_MS;
        // While jobs remain, tabs poll it every 5 s and a 4 s-old one is as good: twenty tabs of a busy batch, whose
        // revision moves twice a second, share it. A finished batch's is fetched because its counts moved.
        const active = cached.value.eta.kind !== 'done';
        if (now - cached.at < reuseMs && (costly || active || cached.revision >= needed)) return Promise.resolve(cached.value);
      }
      const running = insightRunning.get(batchId);
      if (running) return running;
      const busy = { ms: 0 };
      const made = computeInsight(batchId, busy)
        .then((value) => {
          insightCache.set(batchId, { value, revision, at: now, costMs: busy.ms });
          return value;
        })
        .finally(() => insightRunning.delete(batchId));
      insightRunning.set(batchId, made);
      return made;
    },
  };

  async function computeInsight(batchId: string, busy: { ms: number }): Promise<BatchInsight> {
    let sliceStart = performance.now();
    flush();
    const now = clock.now();
    const points = finishedPoints(batchId);
    const current = countsNow(batchId);
    const remaining = remainingOf(current);
    const waits: number[] = [];
    const runs: number[] = [];
    const runTimesByConversion = new Map<string, number[]>();
    const running: RunningJob[] = [];
    const failed: FailedJob[] = [];
    for (let after = 0; ; ) {
      const page = q.insightRowsPage.all(batchId, after, INSIGHT_PAGE);
      for (const r of page) {
        after = r.link_rowid;
        const conversion = conversionOf(r.file_name, r.target_format);
        if (r.submitted_at !== null && r.first_running_at !== null) waits.push(Math.max(0, r.first_running_at - r.submitted_at));
        if ((r.state === 'Succeeded' || r.state === 'Failed') && r.first_running_at !== null && r.first_seen_terminal_at !== null) {
          const run = Math.max(0, r.first_seen_terminal_at - r.first_running_at);
          runs.push(run);
          const list = runTimesByConversion.get(conversion);
          if (list) list.push(run);
          else runTimesByConversion.set(conversion, [run]);
        }
        if (r.state === 'Running' && r.progress_changed_at !== null) running.push({ jobId: r.id, conversion, progressChangedAt: r.progress_changed_at, checkedAt: r.last_checked_at });
        if (r.state === 'Failed') {
          const error = r.last_json ? (JSON.parse(r.last_json) as { error?: { code?: string; detail?: string | null } | null }).error : null;
          failed.push({ jobId: r.id, code: error?.code ?? 'unknown', detail: error?.detail ?? null });
        }
      }
      if (page.length < INSIGHT_PAGE) break;
      busy.ms += performance.now() - sliceStart;
      await new Promise<void>((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
    const chartIndexes = pickForChart(points.map((p) => p.at), CHART_MAX_POINTS);
    const chartPoints = chartIndexes.map((i) => points[i]);
    // The chart runs to now: the counts held since the last change.
    chartPoints.push({ at: now, counts: current, finished: finishedOf(current) });
    const states = new Set<TrackedState>();
    for (const p of chartPoints) for (const s of Object.keys(p.counts) as TrackedState[]) states.add(s);
    const series: BatchInsight['series'] = { t: chartPoints.map((p) => p.at), counts: {} };
    for (const s of states) series.counts[s] = chartPoints.map((p) => p.counts[s] ?? 0);
    const finished: FinishedPoint[] = points.map((p) => ({ at: p.at, finished: p.finished }));
    const health = opts.health().state;
    busy.ms += performance.now() - sliceStart;
    return {
      serverTime: iso(now),
      series,
      completionsPerMinute: completionsPerMinute(finished, now),
      currentRatePerMinute: currentRate(finished, now, rules),
      eta: estimateEta({ now, remaining, points: finished }, rules),
      wait: timingStats(waits),
      run: timingStats(runs),
      stalled: stalledJobs({ now, running, runTimesByConversion }, rules),
      queueStalled: queueStall(
        {
          now,
          remaining,
          lastChangeAt: points.length > 0 ? points[points.length - 1].at : null,
          upstreamHealthy: health === 'ok',
        },
        rules,
      ),
      failureGroups: failureGroups(failed),
      expiringSoon: q.expiringSoon
        .all({ retention: retentionMs, now, until: now + EXPIRING_SOON_MS })
        .filter((r) => r.batch_id === batchId).length,
      rules: {
        stallDefaultMs: rules.stallDefaultMs,
        stallFactor: rules.stallFactor,
        stallMinMs: rules.stallMinMs,
        stallMinSamples: rules.stallMinSamples,
        queueStallMs: rules.queueStallMs,
        etaMinCompletions: rules.etaMinCompletions,
        etaStallMinMs: rules.etaStallMinMs,
      },
      upstream: health,
    };
  }

  const api = {
    ...methods,

    /** The batch's jobs as export rows, a page at a time (never one long-running statement: the db stays free). */
    /** `only`: when set, just these jobs (the Stalled? chip). */
    *exportRows(batchId: string, filter: JobFilter, only: ReadonlySet<string> | null = null): Generator<ExportRow> {
      // One moment for the whole export: a row's Expired or "expiring soon" does not change halfway through.
      const now = clock.now();
      const filtered = isFiltered(filter);
      let after = 0;
      for (;;) {
        const page = q.exportPage.all(batchId, after, EXPORT_PAGE);
        if (page.length === 0) return;
        after = page[page.length - 1].link_rowid;
        for (const r of page) {
          if (only && !only.has(r.id)) continue;
          if (filtered && !matchesJobFilter(toBatchJob(r, opts.retentionSeconds), filter, now)) continue;
          yield toExportRow(r, opts.retentionSeconds);
        }
      }
    },

    /** One job as its export row (the job page's wait and run times). */
    jobRow(batchId: string, jobId: string): ExportRow | null {
      const r = q.exportOne.get(batchId, jobId);
      return r ? toExportRow(r, opts.retentionSeconds) : null;
    },

    totals(): InsightTotals {
      const now = clock.now();
      const perBatch = new Map<string, BatchTotals>();
      const names = new Map(store.listBatches().map((b) => [b.id, b.name]));
      const entry = (batchId: string): BatchTotals | null => {
        const name = names.get(batchId);
        if (name === undefined) return null;
        let e = perBatch.get(batchId);
        if (!e) perBatch.set(batchId, (e = { batchId, name, active: 0, failedLastHour: 0, expiringSoon: 0 }));
        return e;
      };
      for (const r of q.activeByBatch.all()) {
        const e = entry(r.batch_id);
        if (e) e.active = r.n;
      }
      for (const r of q.failedByBatch.all(now - 60 * 60_000)) {
        const e = entry(r.batch_id);
        if (e) e.failedLastHour = r.n;
      }
      for (const r of q.expiringSoon.all({ retention: retentionMs, now, until: now + EXPIRING_SOON_MS })) {
        const e = entry(r.batch_id);
        if (e) e.expiringSoon++;
      }
      const batches = [...perBatch.values()];
      // A job listed in two batches is one job: the totals count distinct jobs only where it matters little
      // (a job in two batches is rare), so they are sums over batches.
      return {
        serverTime: iso(now),
        active: batches.reduce((s, b) => s + b.active, 0),
        failedLastHour: batches.reduce((s, b) => s + b.failedLastHour, 0),
        expiringSoon: batches.reduce((s, b) => s + b.expiringSoon, 0),
        batches,
      };
    },
  };
  return api;
}

function toExportRow(r: JobRow & { link_added_at: number; first_running_at: number | null }, retentionSeconds: number): ExportRow {
  const last = r.last_json === null ? null : (JSON.parse(r.last_json) as {
    progress?: { phase?: string | null } | null;
    error?: { code?: string; detail?: string | null } | null;
  });
  const expiry = expiryWindow(r.state, r.last_seen_active_at, r.first_seen_terminal_at, retentionSeconds);
  const finished = FINAL_STATES.includes(r.state) ? r.first_seen_terminal_at : null;
  const times = jobTimes({
    state: r.state,
    submittedAtMs: r.submitted_at,
    firstSeenRunningAtMs: r.first_running_at,
    firstSeenTerminalAtMs: r.first_seen_terminal_at,
  });
  return {
    id: r.id,
    file: r.file_name,
    target: r.target_format,
    state: r.state,
    percent: r.percent,
    phase: last?.progress?.phase ?? null,
    errorCode: last?.error?.code ?? null,
    errorDetail: last?.error?.detail ?? null,
    inputBytes: r.input_bytes,
    outputBytes: r.output_bytes,
    credits: r.credits,
    addedAt: iso(r.link_added_at),
    submittedAt: isoOrNull(r.submitted_at),
    firstSeenRunningAt: isoOrNull(r.first_running_at),
    firstSeenFinishedAt: isoOrNull(finished),
    waitMs: times.waitMs,
    runMs: times.runMs,
    expiresEarliest: expiry?.earliest ?? null,
    expiresLatest: expiry?.latest ?? null,
    downloadedAt: isoOrNull(r.downloaded_at),
    // A complete copy on the server's disk (server/outputs); one being fetched is not kept yet.
    kept: r.kept_at !== null,
  };
}

/** FNV-1a, 32 bits: enough to tell whether a job's percent or phase moved since the last poll. */
function progressHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h | 0;
}

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : iso(ms);
}

function conversionOf(fileName: string | null, target: string | null): string {
  const dot = fileName?.lastIndexOf('.') ?? -1;
  const source = fileName && dot > 0 ? fileName.slice(dot + 1).toLowerCase() : '?';
  return `${source}→${target ?? '?'}`;
}

function total(counts: Counts): number {
  let n = 0;
  for (const v of Object.values(counts)) n += v ?? 0;
  return n;
}

/**
 * Jobs that will not change by themselves any more. Not the tracker's final states: a file still waiting to be
 * sent (Waiting, Sending) is not polled upstream, yet it is work left, not a completion.
 */
/**
 * Jobs that ran to an end (Succeeded, Failed, Canceled): what the ETA's rate counts. Not ids the upstream turned
 * out not to know (Gone, Forbidden): pasting 500 stale ids read as 500 completions in a minute, and an ETA far too
 * soon. Nor InDoubt, which waits for the operator.
 */
function finishedOf(counts: Counts): number {
  let n = 0;
  for (const s of DONE_STATES) n += counts[s] ?? 0;
  return n;
}

function remainingOf(counts: Counts): number {
  let n = 0;
  for (const s of CHANGING_STATES) n += counts[s] ?? 0;
  return n;
}

function sameCounts(a: Counts, b: Counts): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)] as TrackedState[]);
  for (const k of keys) if ((a[k] ?? 0) !== (b[k] ?? 0)) return false;
  return true;
}

