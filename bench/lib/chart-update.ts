/**
 * bench: insight, in the browser. Main-thread time that an insight update costs the batch page in Chromium,
 * with the charts drawn from the bench's own insight (a 10,000-job hour: ~400 points per state).
 *
 * The real dashboard server (on a fake upstream that knows no job) serves the page and an empty batch; the
 * page's `GET …/insight` polls (every 5 s) are answered by Playwright's router with the bench's insight. The
 * answers alternate: a changed insight (time moved on, a point added: the charts redraw) and the previous one
 * unchanged (TanStack Query keeps the old data, nothing renders: the fetch and its parse only). Each answer's
 * cost is the renderer's main-thread task time (CDP `Performance.getMetrics` TaskDuration) over the 1.5 s after
 * it; the difference of the two medians is what an update adds to the page (the ETA and timing texts re-render
 * too; on a busy machine the background of those 1.5 s is noisy). The charts' own time comes from the page's
 * User Timing measures around each one's setData + redraw (the goal's number; the arrays they are given are
 * a few hundred points per state; their preparation in the render is not in it).
 */
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type CDPSession } from '@playwright/test';
import type { BatchInsight } from '../../contract/insight-api.ts';
import { onCleanup } from './cleanup.ts';
import { delay, freePort, startTs, waitForPort } from './proc.ts';
import { tempDir } from './tmp.ts';

const PROFILE_FILE = process.env.BENCH_CHART_PROFILE;

export interface ChartUpdateCost {
  /** Main-thread ms after a changed insight (the charts redraw), per update. */
  changedMs: number[];
  /** The same after an unchanged one (baseline). */
  unchangedMs: number[];
  /**
   * The charts' own time per changed update, from the page's User Timing (`insight-charts:*` measures of
   * src/features/insight/components/insight-charts.tsx): each chart's setData and redraw, summed.
   */
  chartMs: number[];
  /** Chart measures seen after unchanged updates (0 each: nothing redrew). */
  chartMeasuresWhenUnchanged: number;
  points: number;
}

/** Nothing upstream: the batch is empty; the health check and the conversions list answer. */
async function startEmptyUpstream(key: string): Promise<string> {
  const server = http.createServer((req, res) => {
    const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.headers['x-fast-api-key'] !== key) return send(401, { error: 'api_key.invalid_or_ip_not_allowed', detail: null });
    if (req.url === '/convert/conversions') return send(200, { conversions: [] });
    send(404, { error: 'jobs.not_found', detail: null });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The next poll's insight: 5 s later, the oldest point dropped and one added (as a running batch's would). */
function advance(insight: BatchInsight, step: number): BatchInsight {
  const at = Date.parse(insight.serverTime) + 5_000;
  const t = [...insight.series.t.slice(1), at];
  const counts: BatchInsight['series']['counts'] = {};
  for (const [state, column] of Object.entries(insight.series.counts)) {
    const last = column[column.length - 1];
    counts[state as keyof typeof counts] = [...column.slice(1), state === 'Succeeded' ? last + step : last];
  }
  // Still running, so the page polls every 5 s (a finished batch's insight is polled once a minute).
  const eta: BatchInsight['eta'] = insight.eta.kind === 'done' ? { kind: 'unknown', reason: 'bench' } : insight.eta;
  return { ...insight, eta, serverTime: new Date(at).toISOString(), series: { t, counts } };
}

async function taskSeconds(cdp: CDPSession): Promise<number> {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return metrics.find((m) => m.name === 'TaskDuration')?.value ?? Number.NaN;
}

export async function measureChartUpdates(insight: BatchInsight, updates: number, log: (line: string) => void): Promise<ChartUpdateCost> {
  const key = 'bench-chart-key';
  const upstream = await startEmptyUpstream(key);
  const port = await freePort();
  const server = await startTs(
    'server/main.ts',
    { FAST_API_BASE: upstream, FAST_API_KEY: key, HOST: '127.0.0.1', PORT: String(port), DATA_DIR: tempDir('insight-chart'), NODE_ENV: 'production' },
    { ready: /Dashboard: (http:\/\/\S+)/, readyTimeoutMs: 240_000, echo: process.env.BENCH_ECHO ? '[server] ' : undefined },
  );
  await waitForPort(port, 240_000, server);
  const origin = `http://127.0.0.1:${port}`;
  const created = await fetch(`${origin}/api/batches`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin, 'x-requested-with': 'bench' },
    body: JSON.stringify({ name: 'chart bench' }),
  });
  const batchId = ((await created.json()) as { batch: { id: string } }).batch.id;

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  onCleanup(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');

  // Two warm-up answers (the charts' chunk loads and mounts), then changed and unchanged in turn.
  const warmUp = 2;
  const total = warmUp + 2 * updates;
  const result: ChartUpdateCost = { changedMs: [], unchangedMs: [], chartMs: [], chartMeasuresWhenUnchanged: 0, points: insight.series.t.length };
  let current = insight;
  let answered = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  await page.route(/\/api\/batches\/[^/]+\/insight$/, async (route) => {
    const n = ++answered;
    const changed = n <= warmUp || n % 2 === 1;
    if (changed) current = advance(current, n);
    // BENCH_CHART_PROFILE=<file>: a CPU profile of the last changed update, to see where its time goes.
    const profile = PROFILE_FILE && changed && n === total - 1;
    if (profile) await cdp.send('Profiler.enable').then(() => cdp.send('Profiler.start'));
    const before = await taskSeconds(cdp);
    await route.fulfill({ json: current, headers: { 'cache-control': 'no-store' } });
    await delay(1500);
    const spentMs = ((await taskSeconds(cdp)) - before) * 1000;
    if (profile) writeFileSync(PROFILE_FILE, JSON.stringify((await cdp.send('Profiler.stop')).profile));
    const charts = await page.evaluate(() => {
      const entries = performance.getEntriesByType('measure').filter((e) => e.name.startsWith('insight-charts:'));
      performance.clearMeasures();
      return { ms: entries.reduce((sum, e) => sum + e.duration, 0), count: entries.length };
    });
    if (n > warmUp) {
      (changed ? result.changedMs : result.unchangedMs).push(spentMs);
      if (changed) result.chartMs.push(charts.ms);
      else result.chartMeasuresWhenUnchanged += charts.count;
      log(`  update ${n - warmUp}/${2 * updates}: ${changed ? 'changed  ' : 'unchanged'} page ${spentMs.toFixed(1)} ms, charts ${charts.ms.toFixed(1)} ms (${charts.count} measures)`);
    }
    if (n === total) done();
  });
  await page.goto(`${origin}/batches/${batchId}`);
  // Below 1536 px the charts start folded (insight-panel.tsx): unfold them as an operator would.
  await page.getByRole('button', { name: 'Charts and failures', expanded: false }).click({ timeout: 60_000 });
  await page.getByRole('img', { name: 'Chart: jobs by state over time' }).locator('canvas').waitFor({ timeout: 60_000 });
  await finished;
  await page.unroute(/\/api\/batches\/[^/]+\/insight$/);
  await context.close();
  return result;
}
