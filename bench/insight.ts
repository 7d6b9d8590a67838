/**
 * bench: insight (issue 11). A 10,000-job batch running for a simulated hour through the real batch store and
 * history recorder (server/history) on a fake clock:
 * - the history's size in SQLite (batch_history + job_observed, from dbstat) ≤ 1 MB;
 * - the chart data sent to the page (series + completions per minute of GET …/insight) ≤ 50 KB;
 * - the initial JS of dist/ ≤ 170 KB gzip (the charts are a lazy chunk);
 * - drawing the charts adds ≤ 20 ms of main-thread time per update, in Chromium (lib/chart-update.ts).
 * Baselines, in the same run: the same history kept whole (a point at every change, no downsampling); for the
 * charts, the same page answered an unchanged insight (nothing redraws).
 * Env: BENCH_JOBS (10000), BENCH_MINUTES (60), BENCH_QUICK=1 (2000 jobs, 15 min, 4 chart updates),
 * BENCH_CHART_UPDATES (10), BENCH_BROWSER=0 (skip the Chromium part).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { FakeClock } from '../server/tracker/fake-clock.ts';
import { openBatchStore } from '../server/batches/store.ts';
import { createHistory } from '../server/history/recorder.ts';
import type { JobStatusResponse } from '../contract/job.ts';
import { runBench } from './lib/cleanup.ts';
import { fmt, loadavg, median, printGoals, writeResults, type Goal } from './lib/report.ts';
import { tempDir } from './lib/tmp.ts';
import { initialJs } from './lib/initial-js.ts';
import { measureChartUpdates, type ChartUpdateCost } from './lib/chart-update.ts';

const QUICK = process.env.BENCH_QUICK === '1';
const JOBS = Number(process.env.BENCH_JOBS ?? (QUICK ? 2000 : 10_000));
const MINUTES = Number(process.env.BENCH_MINUTES ?? (QUICK ? 15 : 60));
const REPO_ROOT = path.resolve(import.meta.dirname, '..');
const CHART_UPDATES = Number(process.env.BENCH_CHART_UPDATES ?? (QUICK ? 4 : 10));
const BROWSER = process.env.BENCH_BROWSER !== '0';

/** Deterministic: the same batch every run. */
function lcg(seed: number) {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

function body(id: string, status: JobStatusResponse['status'], percent: number, phase: string | null): JobStatusResponse {
  return {
    id,
    status,
    progress: { percent, phase },
    metrics: { inputBytes: 100_000, outputBytes: status === 'Succeeded' ? 80_000 : 0, creditCost: 1 },
    error: status === 'Failed' ? { code: 'convert.failed', detail: 'The converter stopped with an error.' } : null,
    output: status === 'Succeeded' ? { fileName: 'out.jpg', contentType: 'image/jpeg', fileCount: 1 } : null,
  };
}

runBench('insight', async () => {
  const startedAt = new Date().toISOString();
  const loadavgAtStart = loadavg();
  const dir = tempDir('insight');
  const clock = new FakeClock();
  const store = openBatchStore(dir);
  const history = createHistory({ store, clock, retentionSeconds: 3600, health: () => ({ state: 'ok', error: null, since: null }) });
  const batch = store.createBatch('bench', clock.now());
  const random = lcg(42);
  const ids = Array.from({ length: JOBS }, (_, i) => `019c5645734075${i.toString(16).padStart(18, '0')}`);
  const t0 = clock.now();
  for (const id of ids) store.recordSubmission(batch.id, id, { fileName: `f${id.slice(-5)}.png`, targetFormat: 'jpg', at: t0, creditCost: 1 });
  history.start();

  // Enough workers that the batch takes about the simulated time: jobs of 2–12 s, progress seen every ~3 s.
  const meanRunS = 7;
  const workers = Math.max(1, Math.ceil((JOBS * meanRunS) / (MINUTES * 60 * 0.95)));
  const running = new Map<string, { endsAt: number; percent: number }>();
  let next = 0;
  let changes = 0;
  let lastSignature = '';
  const wallStart = performance.now();
  for (let second = 0; second < MINUTES * 60; second++) {
    const now = clock.now();
    for (const [id, job] of running) {
      if (now >= job.endsAt) {
        running.delete(id);
        const failed = random() < 0.05;
        store.recordStatus(id, body(id, failed ? 'Failed' : 'Succeeded', 100, null), now - 500, now);
        history.jobObserved(id, now);
      } else if (random() < 1 / 3) {
        job.percent = Math.min(99, job.percent + Math.round(random() * 30));
        store.recordStatus(id, body(id, 'Running', job.percent, 'converting'), now - 500, now);
        history.jobObserved(id, now);
      }
    }
    while (running.size < workers && next < ids.length) {
      const id = ids[next++];
      running.set(id, { endsAt: now + (2 + random() * 10) * 1000, percent: 0 });
      store.recordStatus(id, body(id, 'Running', 0, 'starting'), now - 500, now);
      history.jobObserved(id, now);
    }
    // The baseline keeps a point at every change of the counts, as the recorder's 1 s tick sees them.
    const signature = `${next}|${running.size}|${next - running.size}`;
    if (signature !== lastSignature) changes++;
    lastSignature = signature;
    await clock.advance(1000);
  }
  const simulateMs = performance.now() - wallStart;
  history.flush();

  const db = store.db;
  let historyBytes: number;
  let method: string;
  try {
    historyBytes = db
      .prepare<[], number>("SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name IN ('batch_history', 'job_observed')")
      .pluck()
      .get()!;
    method = 'dbstat (pages of the two tables)';
  } catch {
    historyBytes = db
      .prepare<[], number>(
        `SELECT (SELECT coalesce(sum(length(batch_id) + length(counts) + 8), 0) FROM batch_history)
              + (SELECT coalesce(sum(length(job_id) + coalesce(length(progress_key), 0) + 16), 0) FROM job_observed)`,
      )
      .pluck()
      .get()!;
    method = 'sum of row lengths (dbstat not compiled in)';
  }
  const points = db.prepare<[], number>('SELECT count(*) FROM batch_history').pluck().get()!;
  const pointBytes = db.prepare<[], number>('SELECT coalesce(avg(length(batch_id) + length(counts) + 8), 0) FROM batch_history').pluck().get()!;
  const observedRows = db.prepare<[], number>('SELECT count(*) FROM job_observed').pluck().get()!;
  const observedBytes = historyBytes - points * pointBytes;
  const baselinePoints = changes;

  const times: number[] = [];
  let insight = await history.insight(batch.id);
  for (let i = 0; i < 5; i++) {
    // Past the recorder's reuse window, so each call computes.
    await clock.advance(60_000);
    const start = performance.now();
    insight = await history.insight(batch.id);
    times.push(performance.now() - start);
  }
  const chartBytes = Buffer.byteLength(JSON.stringify({ series: insight.series, completionsPerMinute: insight.completionsPerMinute }));
  const insightBytes = Buffer.byteLength(JSON.stringify(insight));
  history.stop();
  store.close();

  let charts: ChartUpdateCost | null = null;
  if (BROWSER) {
    console.log(`charts in Chromium: ${CHART_UPDATES} changed and ${CHART_UPDATES} unchanged insight updates, ${insight.series.t.length} points…`);
    charts = await measureChartUpdates(insight, CHART_UPDATES, console.log);
  }
  const chartAddedMs = charts ? median(charts.changedMs) - median(charts.unchangedMs) : null;
  const chartOwnMs = charts ? median(charts.chartMs) : null;

  const distDir = path.join(REPO_ROOT, 'dist');
  const js = existsSync(path.join(distDir, 'index.html')) ? initialJs(distDir) : null;

  console.log(`simulated ${MINUTES} min of ${JOBS} jobs (${workers} at once) in ${fmt(simulateMs / 1000, 1)} s`);
  console.log(`history: ${points} points kept of ${baselinePoints} changes (${fmt(points / baselinePoints, 3)}×), ${historyBytes} bytes by ${method}`);
  console.log(`insight: ${insightBytes} bytes (${insight.series.t.length} chart points), chart data ${chartBytes} bytes, computed in ${fmt(median(times), 1)} ms`);
  const goals: Goal[] = [
    { name: 'history in SQLite (points + per-job times)', value: historyBytes / 1000, op: '<=', limit: 1000, unit: ' KB' },
    { name: 'chart data sent to the page', value: chartBytes / 1000, op: '<=', limit: 50, unit: ' KB' },
    ...(js ? [{ name: 'initial JS, gzip (level 6)', value: js.gzip6 / 1000, op: '<=' as const, limit: 170, unit: ' KB' }] : []),
    ...(charts && chartOwnMs !== null
      ? [{ name: 'charts, main-thread time per update (User Timing, median)', value: chartOwnMs, op: '<=' as const, limit: 20, unit: ' ms' }]
      : []),
  ];
  printGoals(goals);
  const notes = [
    `${JOBS} jobs submitted at once, ${workers} running at a time, each 2–12 s with progress seen about every 3 s; 5 % fail. ${MINUTES} simulated minutes on the FakeClock (the recorder's own 1 s tick), ${fmt(simulateMs / 1000, 1)} s of wall time.`,
    `History size by ${method}: ${historyBytes} B = ${points} count points (avg ${fmt(pointBytes, 0)} B of row data) + ${observedRows} per-job rows (~${fmt(observedBytes / Math.max(1, observedRows), 0)} B each with page overhead).`,
    `Baseline (same run): every change of the counts kept = ${baselinePoints} points ≈ ${fmt((baselinePoints * pointBytes) / 1000, 0)} KB of point rows; downsampled: ${points} points (${fmt(points / baselinePoints, 3)}× the baseline).`,
    `GET /api/batches/:id/insight: ${insightBytes} B in all (failure groups list every failed id), of which chart data ${chartBytes} B; computed in ${fmt(median(times), 1)} ms (median of 5).`,
    js ? `initial JS = module scripts and modulepreloads of dist/index.html (built ${js.builtAt}): ${js.files.map((f) => `${f.src} ${f.gzip6} B gzip`).join('; ')}. Build first (vite build) for a current number.` : 'dist/ not built: initial JS not measured.',
    charts
      ? `Charts in Chromium (headless, 1280×800, light): the batch page of the real server, its insight polls (every 5 s) answered with this run's insight (${charts.points} points), alternately changed (5 s later, a point added: both charts redraw) and unchanged (baseline: nothing renders), ${charts.changedMs.length} of each. ` +
        `The charts' own time (User Timing around each chart's setData + redraw, summed): median ${fmt(median(charts.chartMs), 1)} ms, max ${fmt(Math.max(...charts.chartMs), 1)} ms per update (${charts.chartMeasuresWhenUnchanged} measures after unchanged answers). ` +
        `The page's main-thread task time (CDP TaskDuration) in the 1.5 s after each answer: changed median ${fmt(median(charts.changedMs), 1)} ms (max ${fmt(Math.max(...charts.changedMs), 1)}), unchanged (baseline) median ${fmt(median(charts.unchangedMs), 1)} ms (max ${fmt(Math.max(...charts.unchangedMs), 1)}): a whole update adds ${fmt(chartAddedMs ?? 0, 1)} ms (${fmt(median(charts.changedMs) / median(charts.unchangedMs), 2)}× the baseline; the ETA and timing texts re-render too, and the background of those windows is noisy on a shared machine).`
      : 'Charts in Chromium not measured (BENCH_BROWSER=0).',
  ];
  writeResults('insight', { startedAt, loadavgAtStart, goals, notes, jobs: JOBS, minutes: MINUTES, points, baselinePoints, historyBytes, chartBytes, insightBytes, insightMs: times, initialJs: js, charts });
});
