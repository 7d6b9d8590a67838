/**
 * Live batches (issue 10): a 10,000-job batch whose jobs change at about 1 % per second, watched by 1 and 20
 * Chromium tabs, with the live page (compact first load + one event stream per tab) against the snapshot
 * polling of before (`?live=off`), measured in the same run on the same server.
 *
 * Per configuration, over the measured window: bytes per tab per minute (every byte the dashboard sent to the
 * browser, counted on the TCP connections by a pass-through relay the browser talks to, divided by the tab count:
 * one count for every request and for the event stream, whichever tab holds it; CDP's dataReceived, printed beside,
 * counts bodies only, per tab), browser CPU per tab
 * per minute (CDP TaskDuration), main-thread tasks over 50 ms after the first load (PerformanceObserver), the
 * server's CPU (/proc, the dashboard process) and the upstream's status requests per minute.
 *
 * Env: BENCH_QUICK=1 (1 minute per configuration instead of 5), BENCH_MINUTES, BENCH_JOBS (10000),
 * BENCH_TABS ("1,20"), BENCH_ECHO=1, BENCH_MODES ("snapshot polling,live"; one of them to look at one side),
 * BENCH_LONGTASK_DETAIL=1 (each long task of the live window with the requests that ended just before or during it),
 * BENCH_TRACE=1 (a Chromium trace of the first live tab over the window: the renderer main thread's self time by
 * event, printed: style, layout, paint, script),
 * BENCH_PROFILE=1 (a CPU profile of the first live tab over the window: its top functions by self time are
 * printed and written to bench/results/ui-live.cpuprofile.top.txt; build with `vite build --minify=false` to
 * read the names).
 *
 * BENCH_SCENARIO=100k: the 100,000-job goals instead, with 1 live tab: time from navigation to the first rows
 * drawn, the dashboard server's CPU (share of a core) with the tab open, and the tracker's poll rate with the tab
 * open against its rate with no tab open, measured first in the same run. Writes bench/results/ui-live-100k.*.
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import net, { type AddressInfo } from 'node:net';
import { chromium, type Browser, type CDPSession, type Page } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import { onCleanup, runBench } from './lib/cleanup.ts';
import { cpuSeconds, delay, freePort, startTs, waitForPort } from './lib/proc.ts';
import { fmt, loadavg, printGoals, writeResults, type Goal } from './lib/report.ts';
import { tempDir } from './lib/tmp.ts';

const QUICK = process.env.BENCH_QUICK === '1';
const MINUTES = Number(process.env.BENCH_MINUTES ?? (QUICK ? 1 : 5));
const SCENARIO_100K = process.env.BENCH_SCENARIO === '100k';
const JOBS = Number(process.env.BENCH_JOBS ?? (SCENARIO_100K ? 100_000 : 10_000));
const TABS = (process.env.BENCH_TABS ?? '1,20').split(',').map(Number);
const CHANGE_PER_SECOND = 0.01;
const WARMUP_MS = 20_000;
const MODES = (process.env.BENCH_MODES ?? 'snapshot polling,live').split(',') as ('snapshot polling' | 'live')[];
const PROFILE = process.env.BENCH_PROFILE === '1';
const TRACE = process.env.BENCH_TRACE === '1';
const LONGTASK_DETAIL = process.env.BENCH_LONGTASK_DETAIL === '1';
/** At most this many tabs of the old snapshot polling (its per-tab numbers are the baseline for more live tabs). */
const POLLING_TABS = Number(process.env.BENCH_POLLING_TABS ?? Number.POSITIVE_INFINITY);
const ROW_SELECTOR = '[role="table"] [role="rowgroup"] [role="row"][aria-rowindex="2"]';

/**
 * Every job runs forever; each second 1 % of them move their percent on. `mark` gives one job a new phase
 * (a word the random changes never touch), for the change → screen latency probe.
 */
async function startChangingUpstream(key: string, ids: string[]) {
  const percent = new Map(ids.map((id) => [id, 1]));
  const phase = new Map<string, string>();
  let requests = 0;
  const ticker = setInterval(() => {
    for (let i = 0; i < ids.length * CHANGE_PER_SECOND; i++) {
      const id = ids[Math.floor(Math.random() * ids.length)];
      percent.set(id, ((percent.get(id) ?? 0) % 98) + 1);
    }
  }, 1000);
  const server = http.createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (req.headers['x-fast-api-key'] !== key) return send(401, { error: 'api_key.invalid_or_ip_not_allowed', detail: null });
    const m = req.url?.match(/^\/convert\/job\/([0-9a-f]{32})$/);
    if (req.method === 'GET' && m) {
      requests++;
      return send(200, {
        id: m[1], status: 'Running', progress: { percent: percent.get(m[1]) ?? 0, phase: phase.get(m[1]) ?? 'converting' },
        metrics: { inputBytes: 1_000_000, outputBytes: 0, creditCost: 1 }, error: null, output: null,
      });
    }
    send(404, { error: 'not_found', detail: null });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(() => new Promise<void>((resolve) => {
    clearInterval(ticker);
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    mark: (id: string, word: string) => phase.set(id, word),
  };
}

type Upstream = Awaited<ReturnType<typeof startChangingUpstream>>;
const LATENCY_SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? (QUICK ? 20 : 40));

/**
 * Change → screen: one at a time, a job in a row the tab shows (inside its viewport) changes at the upstream,
 * and the time until that row's progress bar says so is taken (the page is read every 50 ms, so a sample is at
 * most that much late). Returns the latencies in ms.
 */
async function measureLatency(page: Page, upstream: Pick<Upstream, 'mark'>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const shown = await page.evaluate(() => [...document.querySelectorAll('[role="table"] [role="rowgroup"] [role="row"]')]
      .filter((row) => { const r = row.getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight; })
      .map((row) => row.querySelector('a[href*="/jobs/"]')?.getAttribute('href')?.split('/jobs/')[1])
      .filter((id): id is string => Boolean(id)));
    if (shown.length === 0) throw new Error('latency probe: the tab shows no job row');
    const id = shown[Math.floor(Math.random() * shown.length)];
    const word = `probe${randomBytes(4).toString('hex')}`;
    const t0 = Date.now();
    upstream.mark(id, word);
    await page.waitForFunction(
      ({ id, word }) => document.querySelector(`[role="row"]:has(a[href$="/jobs/${id}"]) [role="progressbar"]`)?.getAttribute('aria-valuetext')?.endsWith(word) ?? false,
      { id, word },
      { polling: 50, timeout: 30_000 },
    );
    samples.push(Date.now() - t0);
  }
  return samples;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** When the first job row is in the DOM, in ms from the navigation's start (performance.now()). */
const FIRST_ROW_PROBE = `
  window.__firstRowAt = null;
  const look = () => {
    if (window.__firstRowAt !== null) return;
    if (document.querySelector('${ROW_SELECTOR}')) window.__firstRowAt = performance.now();
    else requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
`;

/** Counts main-thread tasks over 50 ms from when `window.__measure` is set. */
const LONG_TASK_PROBE = `
  window.__longTasks = 0; window.__longestTask = 0; window.__measure = false; window.__taskLog = []; window.__resLog = [];
  new PerformanceObserver((list) => { if (!window.__measure) return; for (const e of list.getEntries()) { window.__longTasks++; window.__longestTask = Math.max(window.__longestTask, e.duration); window.__taskLog.push([e.startTime, e.duration]); } })
    .observe({ type: 'longtask', buffered: false });
  new PerformanceObserver((list) => { if (window.__measure) for (const e of list.getEntries()) window.__resLog.push([e.responseEnd, new URL(e.name).pathname.replace(/[0-9a-f-]{8,}/g, ':id')]); })
    .observe({ type: 'resource', buffered: false });
`;

/**
 * A TCP relay in front of the dashboard that counts the bytes it sends back: what the browser receives on the
 * wire, headers and compression included, for every request and every stream, whichever tab holds it.
 */
async function countingRelay(targetPort: number): Promise<{ port: number; bytesDown: () => number }> {
  let down = 0;
  const sockets = new Set<net.Socket>();
  const relay = net.createServer((client) => {
    const server = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(server);
    server.on('data', (chunk: Buffer) => (down += chunk.length));
    client.pipe(server).pipe(client);
    const end = () => { client.destroy(); server.destroy(); sockets.delete(client); sockets.delete(server); };
    client.on('error', end).on('close', end);
    server.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  onCleanup(() => { for (const s of sockets) s.destroy(); relay.close(); });
  return { port: (relay.address() as AddressInfo).port, bytesDown: () => down };
}

interface Tab {
  page: Page;
  cdp: CDPSession;
  bytes: () => number;
  /** Requests the tab sent, by route (ids replaced by `:id`). */
  requests: Map<string, number>;
  taskSeconds: () => Promise<number>;
}

function route(url: string): string {
  const { pathname, searchParams } = new URL(url);
  const query = [...searchParams.keys()].sort().join('&');
  return pathname.replace(/\/[0-9a-zA-Z_-]{16,}/g, '/:id') + (query ? `?${query}` : '');
}

async function openTab(page: Page, url: string): Promise<Tab> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Performance.enable');
  let bytes = 0;
  cdp.on('Network.dataReceived', (e) => (bytes += e.encodedDataLength));
  const requests = new Map<string, number>();
  cdp.on('Network.requestWillBeSent', (e) => {
    const key = route(e.request.url);
    requests.set(key, (requests.get(key) ?? 0) + 1);
  });
  await page.addInitScript(LONG_TASK_PROBE);
  await page.addInitScript(FIRST_ROW_PROBE);
  // Twenty tabs of the old page parse 5 MB each on a busy machine: the load event may take minutes.
  await page.goto(url, { waitUntil: 'commit', timeout: 180_000 });
  return {
    page,
    cdp,
    bytes: () => bytes,
    requests,
    taskSeconds: async () => {
      const { metrics } = await cdp.send('Performance.getMetrics');
      return metrics.find((m) => m.name === 'TaskDuration')?.value ?? 0;
    },
  };
}

/** The renderer main thread's time by trace event (top-level tasks' children, self time), printed. */
function writeTraceSummary(trace: Buffer) {
  type Event = { name: string; ph: string; ts: number; dur?: number; pid: number; tid: number; args?: { name?: string } };
  if (process.env.BENCH_TRACE_FILE) writeFileSync(process.env.BENCH_TRACE_FILE, trace);
  const events = (JSON.parse(trace.toString()) as { traceEvents: Event[] }).traceEvents;
  const main = new Set(events.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
  const spans = events.filter((e) => e.ph === 'X' && e.dur !== undefined && main.has(`${e.pid}:${e.tid}`)).sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
  const self = new Map<string, number>();
  const stack: Event[] = [];
  for (const e of spans) {
    while (stack.length && stack[stack.length - 1].ts + stack[stack.length - 1].dur! <= e.ts) stack.pop();
    const parent = stack[stack.length - 1];
    if (parent) self.set(parent.name, (self.get(parent.name) ?? 0) - e.dur!);
    self.set(e.name, (self.get(e.name) ?? 0) + e.dur!);
    stack.push(e);
  }
  const lines = [...self].sort((a, b) => b[1] - a[1]).slice(0, 30).map(([name, us]) => `${(us / 1000).toFixed(0).padStart(8)} ms  ${name}`);
  console.log(['renderer main thread, self time by trace event', ...lines].join('\n'));
}

/** Self time by function (name, file, line), top 40, so a regression's cause is named, not guessed. */
function writeProfileSummary(profile: { nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; parent?: number; children?: number[] }[]; samples?: number[]; timeDeltas?: number[] }) {
  const self = new Map<number, number>();
  const { samples = [], timeDeltas = [] } = profile;
  for (let i = 0; i < samples.length; i++) self.set(samples[i], (self.get(samples[i]) ?? 0) + (timeDeltas[i] ?? 0));
  const byFrame = new Map<string, number>();
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const total = new Map<string, number>();
  for (const node of profile.nodes) {
    const f = node.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`;
    const us = self.get(node.id) ?? 0;
    byFrame.set(key, (byFrame.get(key) ?? 0) + us);
    // Inclusive time: this node's self time counted once for every distinct frame above it.
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parents.get(id)) {
      const g = nodes.get(id)!.callFrame;
      const k = `${g.functionName || '(anonymous)'} ${g.url.split('/').pop()}:${g.lineNumber + 1}`;
      if (seen.has(k)) continue;
      seen.add(k);
      total.set(k, (total.get(k) ?? 0) + us);
    }
  }
  // Busy stretches over 50 ms (what the long tasks are made of): consecutive non-idle samples, named by the
  // frames that took most of them.
  const stretches: string[] = [];
  const idle = new Set(profile.nodes.filter((n) => ['(idle)', '(root)'].includes(n.callFrame.functionName)).map((n) => n.id));
  for (let i = 0; i < samples.length; ) {
    if (idle.has(samples[i])) { i++; continue; }
    let us = 0;
    const inStretch = new Map<string, number>();
    for (; i < samples.length && !idle.has(samples[i]); i++) {
      const dt = timeDeltas[i + 1] ?? 0;
      us += dt;
      const seen = new Set<string>();
      for (let id: number | undefined = samples[i]; id !== undefined; id = parents.get(id)) {
        const g = nodes.get(id)!.callFrame;
        const k = `${g.functionName || '(anonymous)'} ${g.url.split('/').pop()}:${g.lineNumber + 1}`;
        if (seen.has(k) || k.startsWith('(root)')) continue;
        seen.add(k);
        inStretch.set(k, (inStretch.get(k) ?? 0) + dt);
      }
    }
    if (us < 50_000) continue;
    const names = [...inStretch].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, t]) => `${k} ${(t / 1000).toFixed(0)}`);
    stretches.push(`${(us / 1000).toFixed(0)} ms: ${names.join(' | ')}`);
  }
  const top = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, 40).map(([k, us]) => `${(us / 1000).toFixed(0).padStart(8)} ms  ${k}`);
  const text = ['busy stretches over 50 ms', ...stretches, '', 'self time', ...top(byFrame), '', 'inclusive time', ...top(total)].join('\n');
  console.log(text);
  writeFileSync(new URL('./results/ui-live.cpuprofile.top.txt', import.meta.url), text + '\n');
}

/** The 100,000-job goals (see the header). */
async function run100k({ origin, batchId, browser, serverPid, upstream, startedAt, loadavgAtStart }: {
  origin: string; batchId: string; browser: Browser; serverPid: number; upstream: Upstream; startedAt: string; loadavgAtStart: string;
}) {
  const measureWindow = async () => {
    const cpu0 = cpuSeconds(serverPid);
    const up0 = upstream.requests();
    const t0 = Date.now();
    await delay(MINUTES * 60_000);
    const seconds = (Date.now() - t0) / 1000;
    return { serverCores: (cpuSeconds(serverPid) - cpu0) / seconds, upstreamPerMin: ((upstream.requests() - up0) / seconds) * 60 };
  };
  // The tracker settles on the new batch first (its first round of polls), then runs with no tab open.
  await delay(WARMUP_MS);
  const noTab = await measureWindow();
  console.log(`no tab: server ${fmt(noTab.serverCores, 3)} of a core, upstream ${fmt(noTab.upstreamPerMin, 0)}/min (load ${loadavg().split(' ')[0]})`);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const loaded = page
    .waitForEvent('requestfinished', { predicate: (r) => r.url().includes('rows=ndjson'), timeout: 180_000 })
    .then(() => page.evaluate(() => performance.now()))
    .catch(() => Number.NaN);
  const tab = await openTab(page, `${origin}/batches/${batchId}`);
  await tab.page.locator(ROW_SELECTOR).first().waitFor({ timeout: 180_000 });
  const firstRowsMs = await tab.page.evaluate(() => (window as unknown as { __firstRowAt: number }).__firstRowAt);
  const loadedMs = await loaded;
  console.log(`first rows drawn ${fmt(firstRowsMs, 0)} ms after navigation`);
  await delay(WARMUP_MS);
  const oneTab = await measureWindow();
  console.log(`1 tab: server ${fmt(oneTab.serverCores, 3)} of a core, upstream ${fmt(oneTab.upstreamPerMin, 0)}/min (load ${loadavg().split(' ')[0]})`);
  const latencyMs = await measureLatency(tab.page, upstream);
  const latency = { p50: percentile(latencyMs, 50), p95: percentile(latencyMs, 95), samples: latencyMs.length };
  console.log(`change → screen: p50 ${fmt(latency.p50, 0)} ms, p95 ${fmt(latency.p95, 0)} ms (${latency.samples} changes)`);
  await context.close();
  const goals: Goal[] = [
    { name: 'first rows drawn after opening the page, 100,000 jobs', value: firstRowsMs, op: '<=', limit: 3000, unit: ' ms' },
    { name: 'dashboard server CPU with 1 tab open (share of a core)', value: oneTab.serverCores, op: '<=', limit: 0.2 },
    { name: 'tracker poll rate, 1 tab / no tab, distance from 1', value: Math.abs(oneTab.upstreamPerMin / noTab.upstreamPerMin - 1), op: '<=', limit: 0.1 },
    { name: 'change to a visible job → screen, p95, 100,000 jobs', value: latency.p95, op: '<=', limit: 3000, unit: ' ms' },
  ];
  printGoals(goals);
  const notes = [
    `${JOBS} jobs, all Running; each second ${CHANGE_PER_SECOND * 100} % of them (random) move their percent on at the fake upstream. The tracker runs with its defaults (TRACKER_MAX_RPS 20).`,
    `Windows of ${MINUTES} minute(s)${QUICK ? ' (BENCH_QUICK)' : ''}: first with no tab open (after ${WARMUP_MS / 1000} s for the tracker to settle), then with 1 live tab (after its first load and ${WARMUP_MS / 1000} s).`,
    'First rows: performance.now() in the tab when the first job row is in the DOM (checked every animation frame), from the navigation\'s start. ' +
      `The whole first load (?rows=ndjson) had arrived ${fmt(loadedMs, 0)} ms after navigation.`,
    'Server CPU: utime+stime of the dashboard process (/proc) over the window, divided by its length. Tracker rate: status GETs the fake upstream answered.',
    `Change → screen: after the 1-tab window, ${latency.samples} times one at a time, a job in a row inside the viewport gets a new phase at the fake upstream, and the time until the row shows it is taken (read every 50 ms): p50 ${fmt(latency.p50, 0)} ms.`,
  ];
  const table = [
    '## Windows',
    '',
    '| window | server CPU (share of a core) | upstream req / min |',
    '|---|---|---|',
    `| no tab | ${fmt(noTab.serverCores, 3)} | ${fmt(noTab.upstreamPerMin, 0)} |`,
    `| 1 live tab | ${fmt(oneTab.serverCores, 3)} | ${fmt(oneTab.upstreamPerMin, 0)} |`,
    '',
  ].join('\n');
  writeResults('ui-live-100k', { startedAt, loadavgAtStart, goals, notes, firstRowsMs, loadedMs, noTab, oneTab, latency }, table);
}

interface Measured {
  mode: 'live' | 'snapshot polling';
  tabs: number;
  /** The configuration this stands for (BENCH_POLLING_TABS may measure polling with fewer tabs). */
  forTabs: number;
  /** On the wire (the counting relay), all tabs' together divided by the tab count. */
  bytesPerTabPerMin: number;
  /** What CDP's Network.dataReceived counted (bodies, without HTTP headers). */
  cdpBytesPerTabPerMin: number;
  cpuSecondsPerTabPerMin: number;
  longTasksPerTab: number;
  longestTaskMs: number;
  serverCpuPerMin: number;
  upstreamPerMin: number;
  /** Requests a tab sent to the dashboard per minute, by route. */
  requestsPerTabPerMin: Record<string, number>;
  /** Change → screen on the first tab (it holds the event stream) and, with more tabs, the last (relayed to it). */
  latency?: { tab: string; p50: number; p95: number; samples: number }[];
}

runBench('ui-live', async () => {
  const startedAt = new Date().toISOString();
  const loadavgAtStart = loadavg();
  const key = randomBytes(16).toString('hex');
  const ids = Array.from({ length: JOBS }, () => randomBytes(16).toString('hex'));
  const upstream = await startChangingUpstream(key, ids);
  const port = await freePort();
  const server = await startTs(
    'server/main.ts',
    { FAST_API_BASE: upstream.base, FAST_API_KEY: key, HOST: '127.0.0.1', PORT: String(port), DATA_DIR: tempDir('ui-live'), NODE_ENV: 'production' },
    { ready: /Dashboard: (http:\/\/\S+)/, readyTimeoutMs: 240_000, echo: process.env.BENCH_ECHO ? '[server] ' : undefined },
  );
  await waitForPort(port, 10_000, server);
  const direct = `http://127.0.0.1:${port}`;
  const relay = await countingRelay(port);
  // The browser's origin: through the relay, so every byte it receives is counted.
  const origin = `http://127.0.0.1:${relay.port}`;
  const res = await fetch(`${direct}/api/batches`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: direct, 'x-requested-with': 'bench' },
    body: JSON.stringify({ name: `live ${JOBS}`, ids: ids.join('\n') }),
  });
  const batchId = ((await res.json()) as { batch: { id: string } }).batch.id;

  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  onCleanup(() => browser.close());

  if (SCENARIO_100K) {
    await run100k({ origin, batchId, browser, serverPid: server.pid, upstream, startedAt, loadavgAtStart });
    return;
  }

  const results: Measured[] = [];
  const failed: string[] = [];
  for (const tabs of TABS) {
    for (const mode of MODES) {
      const url = `${origin}/batches/${batchId}${mode === 'live' ? '' : '?live=off'}`;
      const count = mode === 'live' ? tabs : Math.min(tabs, POLLING_TABS);
      // BENCH_POLLING_TABS=1 with BENCH_TABS=1,20: the 1-tab polling window already measured stands for both.
      const same = results.find((r) => r.mode === mode && r.tabs === count);
      if (same) {
        results.push({ ...same, forTabs: tabs });
        console.log(`${mode}, ${count} tab(s): measured above, stands for ${tabs} tab(s)`);
        continue;
      }
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      try {
        const open: Tab[] = [];
        // One at a time, each drawn before the next opens: twenty first loads at once do not get through on a busy machine.
        for (let i = 0; i < count; i++) {
          const tab = await openTab(await context.newPage(), url);
          await tab.page.locator(ROW_SELECTOR).first().waitFor({ timeout: 300_000 });
          open.push(tab);
        }
        await delay(WARMUP_MS);
        for (const tab of open) await tab.page.evaluate(() => ((window as unknown as { __measure: boolean }).__measure = true));
        const bytes0 = open.map((t) => t.bytes());
        const wire0 = relay.bytesDown();
        const requests0 = open.map((t) => new Map(t.requests));
        const cpu0 = await Promise.all(open.map((t) => t.taskSeconds()));
        const server0 = cpuSeconds(server.pid);
        const upstream0 = upstream.requests();
        const profiling = PROFILE && mode === 'live';
        if (profiling) {
          await open[0].cdp.send('Profiler.enable');
          await open[0].cdp.send('Profiler.setSamplingInterval', { interval: 500 });
          await open[0].cdp.send('Profiler.start');
        }
        const tracing = TRACE && mode === 'live';
        if (tracing) await browser.startTracing(open[0].page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
        const t0 = Date.now();
        await delay(MINUTES * 60_000);
        if (tracing) writeTraceSummary(await browser.stopTracing());
        if (profiling) writeProfileSummary((await open[0].cdp.send('Profiler.stop')).profile);
        const minutes = (Date.now() - t0) / 60_000;
        const cpu1 = await Promise.all(open.map((t) => t.taskSeconds()));
        const long = await Promise.all(open.map((t) => t.page.evaluate(() => {
          const w = window as unknown as { __longTasks: number; __longestTask: number };
          return { count: w.__longTasks, longest: w.__longestTask };
        })));
        if (LONGTASK_DETAIL) {
          const logs = await Promise.all(open.map((t) => t.page.evaluate(() => {
            const w = window as unknown as { __taskLog: [number, number][]; __resLog: [number, string][] };
            return { tasks: w.__taskLog, res: w.__resLog };
          })));
          const cause: Record<string, number> = {};
          for (const { tasks, res } of logs) {
            for (const [start, duration] of tasks) {
              const near = res.filter(([end]) => end >= start - 20 && end <= start + duration);
              const key = near.length ? [...new Set(near.map(([, r]) => r))].join('+') : 'no request';
              cause[key] = (cause[key] ?? 0) + 1;
              console.log(`  long task ${duration.toFixed(0)} ms at ${(start / 1000).toFixed(1)} s: ${key}`);
            }
          }
          console.log('long tasks by the request that ended just before or during them:', cause);
        }
        const byRoute: Record<string, number> = {};
        open.forEach((t, i) => {
          for (const [key, n] of t.requests) byRoute[key] = (byRoute[key] ?? 0) + n - (requests0[i].get(key) ?? 0);
        });
        for (const key of Object.keys(byRoute)) byRoute[key] = byRoute[key] / count / minutes;
        const m: Measured = {
          requestsPerTabPerMin: byRoute,
          mode,
          tabs: count,
          forTabs: tabs,
          bytesPerTabPerMin: (relay.bytesDown() - wire0) / count / minutes,
          cdpBytesPerTabPerMin: open.reduce((n, t, i) => n + t.bytes() - bytes0[i], 0) / count / minutes,
          cpuSecondsPerTabPerMin: cpu1.reduce((n, c, i) => n + c - cpu0[i], 0) / count / minutes,
          longTasksPerTab: long.reduce((n, l) => n + l.count, 0) / count,
          longestTaskMs: Math.max(...long.map((l) => l.longest)),
          serverCpuPerMin: (cpuSeconds(server.pid) - server0) / minutes,
          upstreamPerMin: (upstream.requests() - upstream0) / minutes,
        };
        if (mode === 'live') {
          // After the window, so the probe's own reading of the page is not in the CPU numbers.
          const probed = count > 1 ? [['first (streams)', open[0]], ['last (relayed)', open[count - 1]]] as const : [['first', open[0]]] as const;
          m.latency = [];
          for (const [name, tab] of probed) {
            const ms = await measureLatency(tab.page, upstream);
            m.latency.push({ tab: name, p50: percentile(ms, 50), p95: percentile(ms, 95), samples: ms.length });
            console.log(`  change → screen, ${name} tab: p50 ${fmt(percentile(ms, 50), 0)} ms, p95 ${fmt(percentile(ms, 95), 0)} ms (${ms.length} changes)`);
          }
        }
        results.push(m);
        console.log(`  CDP dataReceived per tab per minute: ${fmt(m.cdpBytesPerTabPerMin / 1e6, 3)} MB; requests per tab per minute: ${Object.entries(byRoute).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${fmt(n, 1)}`).join(', ')}`);
        console.log(`${mode}, ${count} tab(s): ${fmt(m.bytesPerTabPerMin / 1e6, 3)} MB/tab/min, browser CPU ${fmt(m.cpuSecondsPerTabPerMin, 2)} s/tab/min, ${fmt(m.longTasksPerTab, 1)} long tasks/tab (longest ${fmt(m.longestTaskMs, 0)} ms), server CPU ${fmt(m.serverCpuPerMin, 2)} s/min, upstream ${fmt(m.upstreamPerMin, 0)}/min  (load ${loadavg().split(' ')[0]})`);
      } catch (error) {
        // One configuration that cannot be measured (twenty old-style tabs on a starved machine) does not lose the others.
        failed.push(`${mode}, ${count} tab(s): not measured (${(error as Error).message.split('\n')[0]})`);
        console.log(failed.at(-1));
      } finally {
        await context.close();
      }
    }
  }

  if (MODES.length < 2) {
    console.log('One mode only (BENCH_MODES): no ratios, no results written.');
    return;
  }
  const find = (mode: Measured['mode'], tabs: number) => results.find((r) => r.mode === mode && r.forTabs === tabs);
  const goals: Goal[] = [];
  for (const tabs of TABS) {
    const live = find('live', tabs);
    const old = find('snapshot polling', tabs);
    if (!live || !old) continue;
    goals.push(
      { name: `bytes per tab per minute, live / polling, ${tabs} tab(s)`, value: live.bytesPerTabPerMin / old.bytesPerTabPerMin, op: '<=', limit: 0.03, unit: '×' },
      { name: `browser CPU per tab per minute, live / polling, ${tabs} tab(s)`, value: live.cpuSecondsPerTabPerMin / old.cpuSecondsPerTabPerMin, op: '<=', limit: 0.2, unit: '×' },
      { name: `main-thread tasks over 50 ms per tab after the first load, live, ${tabs} tab(s)`, value: live.longTasksPerTab, op: '<=', limit: 0 },
      ...(live.latency ?? []).map((l): Goal => ({ name: `change to a visible job → screen, p95, ${tabs} tab(s), ${l.tab} tab`, value: l.p95, op: '<=', limit: 3000, unit: ' ms' })),
    );
  }
  const [one, many] = [find('live', Math.min(...TABS)), find('live', Math.max(...TABS))];
  if (TABS.length >= 2 && one && many) {
    goals.push(
      { name: `server CPU per minute, live, ${many.tabs} / ${one.tabs} tab(s)`, value: many.serverCpuPerMin / one.serverCpuPerMin, op: '<=', limit: 1.5, unit: '×' },
      { name: `upstream requests per minute, live, ${many.tabs} / ${one.tabs} tab(s), distance from 1 (±5 %)`, value: Math.abs(many.upstreamPerMin / one.upstreamPerMin - 1), op: '<=', limit: 0.05 },
    );
  }
  printGoals(goals);
  const notes = [
    `${JOBS} jobs, all Running; each second ${CHANGE_PER_SECOND * 100} % of them (random) move their percent on at the fake upstream. The tracker runs with its defaults (TRACKER_MAX_RPS 20).`,
    `${MINUTES} minute(s) measured per configuration${QUICK ? ' (BENCH_QUICK)' : ''}, after ${WARMUP_MS / 1000} s of warm-up (the first load is not in the window). Tabs share one browser context; all are foreground in headless Chromium.`,
    'bytes: every byte the dashboard sent to the browser in the window (HTTP headers, compressed bodies, event streams), counted by a TCP relay between them, divided by the tab count (CDP dataReceived, printed beside, counts bodies only). Browser CPU: CDP Performance TaskDuration. Long tasks: PerformanceObserver "longtask" entries during the window.',
    'server CPU: utime+stime of the dashboard process (/proc). Upstream: status GETs the fake upstream answered in the window.',
    'polling: the page with ?live=off (the whole-snapshot polling of before, ETag-revalidated, every 1.5 s while jobs run).',
    ...(Number.isFinite(POLLING_TABS) ? [`Snapshot polling measured with at most ${POLLING_TABS} tab(s) (BENCH_POLLING_TABS): its per-tab numbers are the baseline for more live tabs.`] : []),
    'Tabs open one at a time, each after the previous one drew its first rows.',
    `Change → screen: after each live window, ${LATENCY_SAMPLES} times one at a time, a job in a row inside the tab's viewport gets a new phase at the fake upstream, and the time until that row's progress bar shows it is taken (the page is read every 50 ms). Probed on the first tab (it holds the batch's event stream) and, with more tabs, the last (the stream's events are relayed to it by the first tab, src/lib/api/shared-stream.ts).`,
    'The 100,000-job goals: BENCH_SCENARIO=100k (bench/results/ui-live-100k.md).',
    ...failed,
  ];
  const table = [
    '## Per configuration',
    '',
    '| mode | tabs | MB / tab / min | browser CPU s / tab / min | long tasks / tab | longest task ms | server CPU s / min | upstream req / min | change → screen p50 / p95 ms |',
    '|---|---|---|---|---|---|---|---|---|',
    ...results.map((r) => `| ${r.mode} | ${r.tabs}${r.forTabs === r.tabs ? '' : ` (stands for ${r.forTabs})`} | ${fmt(r.bytesPerTabPerMin / 1e6, 3)} | ${fmt(r.cpuSecondsPerTabPerMin, 2)} | ${fmt(r.longTasksPerTab, 1)} | ${fmt(r.longestTaskMs, 0)} | ${fmt(r.serverCpuPerMin, 2)} | ${fmt(r.upstreamPerMin, 0)} | ${(r.latency ?? []).map((l) => `${l.tab}: ${fmt(l.p50, 0)} / ${fmt(l.p95, 0)}`).join('; ') || '—'} |`),
    '',
  ].join('\n');
  writeResults('ui-live', { startedAt, loadavgAtStart, goals, notes, results }, table);
});
