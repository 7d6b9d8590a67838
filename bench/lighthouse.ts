/**
 * Lighthouse (desktop preset) accessibility and best-practices scores of the dashboard's three pages, in Debian's
 * Chromium, against the real stack: `server/main.ts` with its bundled Convert service and a finished demo batch.
 * Issue 12's goal is 100 in both categories on every page, in the light and the dark theme.
 *
 * Scores are absolute (there is no slower baseline to compare with); each failing audit is listed with the
 * elements it names, so a miss says what to fix. Results: bench/results/lighthouse.{json,md}.
 *
 * Env: CHROME_PATH (default Debian's /usr/lib/chromium/chromium), BENCH_ECHO=1 to see the server's output.
 */
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import desktopConfig from 'lighthouse/core/config/desktop-config.js';
import type { BatchSnapshot, CreateBatchResponse } from '../contract/dashboard-api.ts';
import { onCleanup, runBench } from './lib/cleanup.ts';
import { delay, freePort, startTs } from './lib/proc.ts';
import { loadavg, printGoals, writeResults, type Goal } from './lib/report.ts';
import { tempDir } from './lib/tmp.ts';

const CHROME = process.env.CHROME_PATH ?? '/usr/lib/chromium/chromium';
const CATEGORIES = ['accessibility', 'best-practices'] as const;

interface PageResult {
  page: string;
  theme: 'light' | 'dark';
  scores: Record<(typeof CATEGORIES)[number], number>;
  failing: { id: string; title: string; items: string[] }[];
  /** Audits below 1 that weigh nothing in the score (Lighthouse's advice, such as source maps). */
  unscored: string[];
}

async function json<T>(response: Response, what: string): Promise<T> {
  if (!response.ok) throw new Error(`${what}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** A demo batch (the same sample files an operator gets from "Create demo batch"), waited on until it is final. */
async function demoBatch(base: string): Promise<{ batchId: string; jobId: string }> {
  const headers = { origin: base, 'x-requested-with': 'bench', 'content-type': 'application/json' };
  const { batch } = await json<CreateBatchResponse>(await fetch(`${base}/api/batches/demo`, { method: 'POST', headers, body: '{}' }), 'demo batch');
  const deadline = Date.now() + 180_000;
  for (;;) {
    const snapshot = await json<BatchSnapshot>(
      await fetch(`${base}/api/batches/${batch.id}`),
      'snapshot',
    );
    const done = snapshot.jobs.length > 0 && snapshot.jobs.every((j) => !['Queued', 'Running', 'Unknown'].includes(j.state));
    const succeeded = snapshot.jobs.find((j) => j.state === 'Succeeded');
    if (done && succeeded) return { batchId: batch.id, jobId: succeeded.id };
    if (Date.now() > deadline) throw new Error('the demo batch did not finish within 3 minutes');
    await delay(500);
  }
}

runBench('lighthouse', async () => {
  const startedAt = new Date().toISOString();
  const loadavgAtStart = loadavg();
  const port = await freePort();
  const server = await startTs(
    'server/main.ts',
    { HOST: '127.0.0.1', PORT: String(port), DATA_DIR: tempDir('lighthouse'), LOG_LEVEL: 'warn', FAST_API_KEY: '', FAST_API_BASE: '' },
    { ready: /Dashboard: (http:\/\/\S+)/, readyTimeoutMs: 240_000, echo: process.env.BENCH_ECHO ? '[server] ' : undefined },
  );
  onCleanup(() => server.stop());
  const base = `http://127.0.0.1:${port}`;
  const { batchId, jobId } = await demoBatch(base);
  const pages = { batches: '/', batch: `/batches/${batchId}`, job: `/batches/${batchId}/jobs/${jobId}` };

  const results: PageResult[] = [];
  for (const theme of ['light', 'dark'] as const) {
    // One browser per theme: the colour scheme is a launch flag for Lighthouse's own navigation.
    const chrome = await chromeLauncher.launch({
      chromePath: CHROME,
      chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu', `--blink-settings=preferredColorScheme=${theme === 'dark' ? 0 : 1}`, `--user-data-dir=${tempDir('lighthouse-profile')}`],
    });
    onCleanup(() => chrome.kill());
    for (const [page, path] of Object.entries(pages)) {
      const run = await lighthouse(`${base}${path}`, { port: chrome.port, output: 'json', logLevel: 'error', onlyCategories: [...CATEGORIES] }, desktopConfig);
      if (!run) throw new Error(`Lighthouse returned nothing for ${path}`);
      const { lhr } = run;
      const scores = Object.fromEntries(CATEGORIES.map((c) => [c, Math.round((lhr.categories[c]?.score ?? 0) * 100)])) as PageResult['scores'];
      const weights = new Map<string, number>();
      for (const c of CATEGORIES) for (const r of lhr.categories[c]?.auditRefs ?? []) weights.set(r.id, Math.max(weights.get(r.id) ?? 0, r.weight));
      const below = [...weights.keys()]
        .map((id) => lhr.audits[id])
        .filter((a) => a && a.score !== null && a.score < 1 && a.scoreDisplayMode !== 'informative' && a.scoreDisplayMode !== 'notApplicable' && a.scoreDisplayMode !== 'manual');
      const unscored = below.filter((a) => weights.get(a.id) === 0).map((a) => a.id);
      const failing = below
        .filter((a) => (weights.get(a.id) ?? 0) > 0)
        .map((a) => {
          const details = a.details as { items?: { node?: { snippet?: string; nodeLabel?: string } }[] } | undefined;
          const items = (details?.items ?? []).slice(0, 5).map((i) => i.node?.snippet ?? i.node?.nodeLabel ?? JSON.stringify(i).slice(0, 160));
          return { id: a.id, title: a.title, items };
        });
      results.push({ page, theme, scores, failing, unscored });
      console.log(
        `${page} (${theme}): accessibility ${scores.accessibility}, best practices ${scores['best-practices']}${failing.length ? `; failing: ${failing.map((f) => f.id).join(', ')}` : ''}${unscored.length ? `; unscored advice: ${unscored.join(', ')}` : ''}`,
      );
    }
    chrome.kill();
  }

  const goals: Goal[] = results.flatMap((r) =>
    CATEGORIES.map((c) => ({ name: `${r.page} page (${r.theme}): ${c}`, value: r.scores[c], op: '>=' as const, limit: 100 })),
  );
  printGoals(goals);
  const failingMd = results
    .filter((r) => r.failing.length)
    .map((r) => [`### ${r.page} (${r.theme})`, ...r.failing.map((f) => `- \`${f.id}\` ${f.title}${f.items.length ? `: ${f.items.map((i) => `\`${i.replaceAll('`', "'")}\``).join(', ')}` : ''}`)].join('\n'))
    .join('\n\n');
  const unscored = [...new Set(results.flatMap((r) => r.unscored))];
  writeResults(
    'lighthouse',
    { startedAt, loadavgAtStart, goals, results, notes: [`Lighthouse desktop preset, Chromium at ${CHROME}; the theme is set with --blink-settings=preferredColorScheme.`] },
    [
      failingMd ? `## Failing audits\n\n${failingMd}\n` : '## Failing audits\n\nNone.\n',
      unscored.length
        ? `## Advice that weighs nothing in the scores\n\n${unscored.map((id) => `- \`${id}\``).join('\n')}\n\n\`valid-source-maps\`: the built JavaScript ships without source maps on purpose (no sources are served).\n`
        : '',
    ].join('\n'),
  );
});
