/**
 * UI budgets (issue 4), against the real stack:
 *  1. Initial JavaScript of the built app (`dist/`): the JS that `dist/index.html` loads up front (entry script
 *     and modulepreloads), gzip-compressed. Budget ≤ 170 KB.
 *  2. The batch page with 10,000 jobs vs the same page with 100 jobs, in Debian's Chromium: time from navigation
 *     start to the first painted job row, renderer JS heap (CDP, after a forced GC), and the number of table rows
 *     in the DOM. Budgets: ≤ 1.5× time, ≤ 1.5× memory, ≤ 200 rows.
 *
 * The dashboard server (`server/main.ts`, a child process; it builds dist/ when stale) points at a fake upstream
 * in this process that answers every job as finished (mostly Succeeded with an output; some Failed, Canceled),
 * so the tracker stops after one poll per job and the page measured is static and realistic.
 *
 * Env: BENCH_ROUNDS (5), BENCH_BIG (10000), BENCH_SMALL (100), BENCH_ECHO=1, BENCH_HEAP_SNAPSHOT=<dir> (after the
 * rounds, one more visit of each page writes `<dir>/ui-<jobs>.heapsnapshot`, for Chromium DevTools' Memory tab).
 */
import http from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes, createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from '@playwright/test';
import { onCleanup, runBench } from './lib/cleanup.ts';
import { delay, descendants, freePort, REPO_ROOT, rssBytes, startTs, waitForPort } from './lib/proc.ts';
import { fmt, loadavg, median, printGoals, writeResults, type Goal } from './lib/report.ts';
import { tempDir } from './lib/tmp.ts';
import { initialJs } from './lib/initial-js.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const BIG = Number(process.env.BENCH_BIG ?? 10_000);
const SMALL = Number(process.env.BENCH_SMALL ?? 100);
const JS_BUDGET_BYTES = 170 * 1000;
const ROW_SELECTOR = '[role="table"] [role="row"], [role="grid"] [role="row"]';


/** A job's final status, chosen by its id so every run sees the same mix. */
function finalStatus(id: string) {
  const h = createHash('sha1').update(id).digest()[0];
  const status = h < 200 ? 'Succeeded' : h < 235 ? 'Failed' : 'Canceled';
  return {
    id,
    status,
    progress: { percent: status === 'Succeeded' ? 100 : 37, phase: null },
    metrics: { inputBytes: 2_000_000 + h * 1000, outputBytes: status === 'Succeeded' ? 400_000 + h * 100 : 0, creditCost: 1 },
    error: status === 'Failed' ? { code: 'convert.invalid_input', detail: 'The file is not a readable PNG image.' } : null,
    output: status === 'Succeeded' ? { fileName: `photo-${id.slice(0, 6)}.jpg`, contentType: 'image/jpeg', fileCount: 1 } : null,
  };
}

async function startFakeUpstream(key: string): Promise<{ base: string; requests: () => number }> {
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (req.headers['x-fast-api-key'] !== key) return send(401, { error: 'api_key.invalid_or_ip_not_allowed', detail: null });
    const m = req.url?.match(/^\/convert\/job\/([0-9a-f]{32})$/);
    if (req.method === 'GET' && m) return send(200, finalStatus(m[1]));
    if (req.method === 'GET' && req.url === '/convert/conversions') return send(200, { conversions: [] });
    send(404, { error: 'not_found', detail: null });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => requests };
}

interface Visit {
  firstRowMs: number;
  heapUsed: number;
  heapTotal: number;
  /** RSS of the largest Chromium renderer process this benchmark launched (the page's, one page at a time). */
  rendererRss: number;
  domNodes: number;
  rows: number;
  rowsAfterScroll: number;
  maxRowIndex: number;
  /** The batch snapshot request (`GET /api/batches/<id>`) as the page's Resource Timing saw it. */
  snapshotTiming: { startMs: number; responseEndMs: number; encodedBytes: number; decodedBytes: number } | null;
}

/** Installed before the app's scripts: notes when the first job row (not the header row) is painted. */
const FIRST_ROW_PROBE = `
(() => {
  const sel = ${JSON.stringify(ROW_SELECTOR)};
  const isJobRow = (el) => !el.querySelector('[role="columnheader"]');
  const check = () => {
    for (const el of document.querySelectorAll(sel)) {
      if (isJobRow(el)) {
        obs.disconnect();
        // rAF runs just before the frame is painted; a message posted from it arrives right after.
        requestAnimationFrame(() => {
          const ch = new MessageChannel();
          ch.port1.onmessage = () => { window.__benchFirstRow = performance.now(); };
          ch.port2.postMessage(0);
        });
        return;
      }
    }
  };
  const obs = new MutationObserver(check);
  const start = () => obs.observe(document.documentElement, { childList: true, subtree: true });
  if (document.documentElement) start(); else document.addEventListener('readystatechange', start, { once: true });
})();
`;

/** Medians of: navigation → snapshot request start (app boot), the request itself, receipt → first row. */
function breakdown(vs: Visit[]) {
  const t = vs.filter((v) => v.snapshotTiming);
  return {
    bootMs: median(t.map((v) => v.snapshotTiming!.startMs)),
    snapshotRequestMs: median(t.map((v) => v.snapshotTiming!.responseEndMs - v.snapshotTiming!.startMs)),
    receiptToFirstRowMs: median(t.map((v) => v.firstRowMs - v.snapshotTiming!.responseEndMs)),
  };
}

function largestRendererRss(): number {
  let max = 0;
  for (const p of descendants(process.pid)) {
    if (p.cmdline.includes('--type=renderer')) max = Math.max(max, rssBytes(p.pid) ?? 0);
  }
  return max;
}

async function visit(browser: Browser, url: string, heapSnapshotFile?: string): Promise<Visit> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
  try {
    const page = await context.newPage();
    await page.addInitScript(FIRST_ROW_PROBE);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    await page.goto(url, { waitUntil: 'commit', timeout: 60_000 });
    await page.waitForFunction(() => (window as unknown as { __benchFirstRow?: number }).__benchFirstRow !== undefined, undefined, { timeout: 60_000, polling: 50 });
    const firstRowMs = await page.evaluate(() => (window as unknown as { __benchFirstRow: number }).__benchFirstRow);
    // Let the page settle (follow-up renders, the countdown ticker), then measure what it holds.
    await delay(1500);
    await cdp.send('HeapProfiler.collectGarbage');
    const { metrics } = await cdp.send('Performance.getMetrics');
    if (heapSnapshotFile) {
      const chunks: string[] = [];
      cdp.on('HeapProfiler.addHeapSnapshotChunk', ({ chunk }) => chunks.push(chunk));
      await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
      writeFileSync(heapSnapshotFile, chunks.join(''));
    }
    const metric = (name: string) => metrics.find((m) => m.name === name)?.value ?? NaN;
    const rows = await page.locator(ROW_SELECTOR).count();
    const rendererRss = largestRendererRss();
    // Where the time to the first row went: the snapshot request's timing, as the page saw it.
    const snapshotTiming = await page.evaluate(() => {
      const e = performance.getEntriesByType('resource').find((r) => /\/api\/batches\/[^/?]+(\?|$)/.test(new URL(r.name).pathname + '?')) as PerformanceResourceTiming | undefined;
      return e ? { startMs: e.startTime, responseEndMs: e.responseEnd, encodedBytes: e.encodedBodySize, decodedBytes: e.decodedBodySize } : null;
    });
    // Scroll the table's scroller (the scrollable ancestor of a job row) to the middle: a virtualised table keeps
    // the row count bounded wherever it is scrolled.
    await page.evaluate((sel) => {
      const rows = [...document.querySelectorAll(sel)].filter((el) => !el.querySelector('[role="columnheader"]'));
      let el: HTMLElement | null = rows[rows.length - 1]?.parentElement ?? null;
      while (el && !(el.scrollHeight > el.clientHeight + 10 && /(auto|scroll)/.test(getComputedStyle(el).overflowY))) el = el.parentElement;
      const target = el ?? (document.scrollingElement as HTMLElement);
      target.scrollTop = target.scrollHeight / 2;
    }, ROW_SELECTOR);
    await delay(500);
    const rowsAfterScroll = await page.locator(ROW_SELECTOR).count();
    // Proof that the scroll happened: the highest row index rendered now.
    const maxRowIndex = await page.evaluate((sel) => Math.max(0, ...[...document.querySelectorAll(sel)].map((el) => Number(el.getAttribute('aria-rowindex') ?? 0))), ROW_SELECTOR);
    return { firstRowMs, heapUsed: metric('JSHeapUsedSize'), heapTotal: metric('JSHeapTotalSize'), rendererRss, domNodes: metric('Nodes'), rows, rowsAfterScroll, maxRowIndex, snapshotTiming };
  } finally {
    await context.close();
  }
}

runBench('ui', async () => {
  const startedAt = new Date().toISOString();
  const loadavgAtStart = loadavg();
  const notes: string[] = [];
  console.log(`ui bench: ${SMALL} vs ${BIG} jobs, ${ROUNDS} rounds; load ${loadavgAtStart}`);
  const key = `bench-${randomBytes(12).toString('hex')}`;
  const upstream = await startFakeUpstream(key);
  const dataDir = tempDir('ui');
  const port = await freePort();
  const server = await startTs(
    'server/main.ts',
    { FAST_API_BASE: upstream.base, FAST_API_KEY: key, HOST: '127.0.0.1', PORT: String(port), DATA_DIR: dataDir, NODE_ENV: 'production' },
    { ready: /Dashboard: (http:\/\/\S+)/, readyTimeoutMs: 240_000, echo: process.env.BENCH_ECHO ? '[server] ' : undefined },
  );
  await waitForPort(port, 10_000, server);
  const origin = `http://127.0.0.1:${port}`;

  // 1. Initial JS (after the server built dist/ if it was stale).
  const js = initialJs(path.join(REPO_ROOT, 'dist'));
  console.log(`initial JS: ${js.files.length} file(s), ${js.bytes} bytes, gzip ${js.gzip6} bytes (level 6), ${js.gzip9} (level 9)`);

  // 2. Two batches of random valid ids, created through the server's API like the UI does.
  const makeBatch = async (name: string, count: number): Promise<string> => {
    const ids = Array.from({ length: count }, () => randomBytes(16).toString('hex')).join('\n');
    const res = await fetch(`${origin}/api/batches`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin, 'x-requested-with': 'bench' },
      body: JSON.stringify({ name, ids }),
    });
    const body = (await res.json()) as { batch?: { id: string }; ids?: { added?: unknown } };
    if (res.status !== 201 || !body.batch) throw new Error(`POST /api/batches → ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
    return body.batch.id;
  };
  const batches = { small: await makeBatch(`bench ${SMALL}`, SMALL), big: await makeBatch(`bench ${BIG}`, BIG) };
  // Wait (bounded) until the tracker has seen every job once, so both pages show final rows and stay still.
  const deadline = Date.now() + 180_000;
  for (const [name, id] of Object.entries(batches)) {
    for (;;) {
      const res = await fetch(`${origin}/api/batches/${id}`);
      const snap = (await res.json()) as { jobs: Array<{ state: string }> };
      const unknown = snap.jobs.filter((j) => j.state === 'Unknown').length;
      if (unknown === 0) break;
      if (Date.now() > deadline) {
        notes.push(`${name} batch: ${unknown} jobs still Unknown when measuring (tracker did not reach them in time).`);
        break;
      }
      await delay(1000);
    }
  }
  console.log(`batches ready (fake upstream answered ${upstream.requests()} requests)`);

  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  onCleanup(() => browser.close());
  const urls = { small: `${origin}/batches/${batches.small}`, big: `${origin}/batches/${batches.big}` };
  console.log('warm-up…');
  await visit(browser, urls.small);
  await visit(browser, urls.big);
  const visits: Record<'small' | 'big', Visit[]> = { small: [], big: [] };
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? (['small', 'big'] as const) : (['big', 'small'] as const);
    for (const which of order) {
      const v = await visit(browser, urls[which]);
      visits[which].push(v);
      console.log(`round ${r + 1} ${String(which === 'small' ? SMALL : BIG).padStart(5)} jobs: first row ${fmt(v.firstRowMs, 0)} ms, heap ${fmt(v.heapUsed / 2 ** 20, 1)} MiB, renderer RSS ${fmt(v.rendererRss / 2 ** 20, 0)} MiB, snapshot in at ${fmt(v.snapshotTiming?.responseEndMs ?? NaN, 0)} ms (${v.snapshotTiming?.encodedBytes ?? '?'} B), ${v.rows} rows (${v.rowsAfterScroll} after scrolling to row ~${v.maxRowIndex}), ${v.domNodes} DOM nodes  (load ${loadavg().split(' ')[0]})`);
    }
  }
  if (process.env.BENCH_HEAP_SNAPSHOT) {
    const dir = process.env.BENCH_HEAP_SNAPSHOT;
    mkdirSync(dir, { recursive: true });
    for (const which of ['small', 'big'] as const) {
      const file = path.join(dir, `ui-${which === 'small' ? SMALL : BIG}.heapsnapshot`);
      await visit(browser, urls[which], file);
      console.log(`heap snapshot: ${file}`);
    }
  }
  const serverRss = rssBytes(server.pid);
  const m = (which: 'small' | 'big', f: (v: Visit) => number) => median(visits[which].map(f));
  const summary = {
    small: { ...breakdown(visits.small), snapshotResponseEndMs: m('small', (v) => v.snapshotTiming?.responseEndMs ?? NaN), snapshotBytes: m('small', (v) => v.snapshotTiming?.encodedBytes ?? NaN), firstRowMs: m('small', (v) => v.firstRowMs), heapUsed: m('small', (v) => v.heapUsed), rendererRss: m('small', (v) => v.rendererRss), rows: Math.max(...visits.small.map((v) => v.rows)), domNodes: m('small', (v) => v.domNodes) },
    big: { ...breakdown(visits.big), snapshotResponseEndMs: m('big', (v) => v.snapshotTiming?.responseEndMs ?? NaN), snapshotBytes: m('big', (v) => v.snapshotTiming?.encodedBytes ?? NaN), firstRowMs: m('big', (v) => v.firstRowMs), heapUsed: m('big', (v) => v.heapUsed), rendererRss: m('big', (v) => v.rendererRss), rows: Math.max(...visits.big.map((v) => Math.max(v.rows, v.rowsAfterScroll))), domNodes: m('big', (v) => v.domNodes) },
  };
  const goals: Goal[] = [
    { name: 'initial JS, gzip (level 6)', value: js.gzip6 / 1000, op: '<=', limit: JS_BUDGET_BYTES / 1000, unit: ' KB' },
    { name: `time to first job row, ${BIG} / ${SMALL} jobs`, value: summary.big.firstRowMs / summary.small.firstRowMs, op: '<=', limit: 1.5, unit: '×' },
    { name: `renderer JS heap, ${BIG} / ${SMALL} jobs`, value: summary.big.heapUsed / summary.small.heapUsed, op: '<=', limit: 1.5, unit: '×' },
    { name: `renderer process RSS, ${BIG} / ${SMALL} jobs (whole footprint)`, value: summary.big.rendererRss / summary.small.rendererRss, op: '<=', limit: 1.5, unit: '×' },
    { name: `table rows in the DOM, ${BIG} jobs (max, incl. after scroll)`, value: summary.big.rows, op: '<=', limit: 200 },
  ];
  printGoals(goals);
  notes.push(
    `initial JS = the module scripts and modulepreloads of dist/index.html (built ${js.builtAt}): ${js.files.map((f) => `${f.src} ${f.bytes} B → ${f.gzip6} B gzip`).join('; ')}. KB = 1000 bytes; gzip level 9 would be ${js.gzip9} B.`,
    `pages: a fresh browser context per visit (cold HTTP cache, same for both), viewport 1280×800, Debian's Chromium headless; ${ROUNDS} rounds alternating the order after one warm-up visit each; medians.`,
    'first job row: a MutationObserver installed before the app\'s scripts sees the first `[role=row]` without column headers; the time is taken right after the next frame (rAF + message), relative to navigation start.',
    'memory: CDP Performance.getMetrics JSHeapUsedSize after HeapProfiler.collectGarbage, 1.5 s after the first row (the goal); also the RSS of the page\'s renderer process (its whole footprint: DOM, layout, V8, Skia; shared pages counted), for information.',
    `rows: \`${ROW_SELECTOR}\` (header row included), counted after settling and again after scrolling the table to its middle.`,
    `server: server/main.ts (NODE_ENV=production) with a fake upstream in the bench process answering each job as finished (~78 % Succeeded, 14 % Failed, 8 % Canceled); the server's RSS at the end: ${fmt((serverRss ?? NaN) / 2 ** 20, 1)} MiB.`,
  );
  const table = [
    '## Batch page (medians)',
    '',
    '| jobs | snapshot received (ms) | snapshot bytes on the wire | first job row (ms) | JS heap used (MiB) | renderer RSS (MiB) | rows in DOM (max) | DOM nodes |',
    '|---|---|---|---|---|---|---|---|',
    `| ${SMALL} | ${fmt(summary.small.snapshotResponseEndMs, 0)} | ${summary.small.snapshotBytes} | ${fmt(summary.small.firstRowMs, 0)} | ${fmt(summary.small.heapUsed / 2 ** 20, 1)} | ${fmt(summary.small.rendererRss / 2 ** 20, 1)} | ${summary.small.rows} | ${summary.small.domNodes} |`,
    `| ${BIG} | ${fmt(summary.big.snapshotResponseEndMs, 0)} | ${summary.big.snapshotBytes} | ${fmt(summary.big.firstRowMs, 0)} | ${fmt(summary.big.heapUsed / 2 ** 20, 1)} | ${fmt(summary.big.rendererRss / 2 ** 20, 1)} | ${summary.big.rows} | ${summary.big.domNodes} |`,
    '',
    '## Where the time to the first row goes (medians, ms)',
    '',
    '| jobs | navigation → snapshot request starts (app boot) | snapshot request | snapshot received → first row painted |',
    '|---|---|---|---|',
    `| ${SMALL} | ${fmt(summary.small.bootMs, 0)} | ${fmt(summary.small.snapshotRequestMs, 0)} | ${fmt(summary.small.receiptToFirstRowMs, 0)} |`,
    `| ${BIG} | ${fmt(summary.big.bootMs, 0)} | ${fmt(summary.big.snapshotRequestMs, 0)} | ${fmt(summary.big.receiptToFirstRowMs, 0)} |`,
    '',
  ].join('\n');
  writeResults('ui', { startedAt, loadavgAtStart, goals, notes, initialJs: js, summary, visits }, table);
});
