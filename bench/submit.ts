/**
 * Benchmark of durable submissions (issue 8): N files of 1–4 MB through the dashboard (spool + feeder) against
 * the same Convert service (limit 18 queued + running, CONVERT_API_MIN_JOB_MS 300), compared in one run with
 *   - a direct script that posts the files straight to the service honouring the same limit (polling each job);
 *   - a bare `curl` loop uploading the same files to the dashboard (the floor of "the browser's part").
 * Upstream POSTs are counted by a small counting proxy in front of the service (re-sent bodies show up there).
 * The dashboard's RSS is sampled throughout.
 *
 * Env: BENCH_FILES (500; BENCH_QUICK=1 → 40).
 */
import http from 'node:http';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { runBench } from './lib/cleanup.ts';
import { fmt, loadavg, printGoals, writeResults, type Goal } from './lib/report.ts';
import { freePort, runCommand, sampleRss, rssBytes, startTs, waitForPort, delay } from './lib/proc.ts';
import { mulberry32 } from './lib/random.ts';
import { tempDir } from './lib/tmp.ts';

const FILES = Number(process.env.BENCH_FILES ?? (process.env.BENCH_QUICK === '1' ? 40 : 500));
const LIMIT = 18;
const KEY = 'bench-key';
const MIB = 1024 * 1024;

/** Noise PNGs of 1–4 MB (noise does not compress, so the size is what goes over the wire). */
async function makeFiles(dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const random = mulberry32(8);
  const files: string[] = [];
  for (let i = 0; i < FILES; i++) {
    const file = path.join(dir, `s-${String(i).padStart(4, '0')}.png`);
    files.push(file);
    const side = Math.round(580 + random() * 580); // ≈ 1–4 MB of RGB noise
    await sharp({ create: { width: side, height: side, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 60 } } }).png({ compressionLevel: 1 }).toFile(file);
  }
  return files;
}

/** Counts POST /convert requests on their way to the service. */
function countingProxy(target: number): Promise<{ port: number; posts: () => number; reset: () => void; close: () => void }> {
  let posts = 0;
  // A fresh connection per request: with keep-alive, a request sent on a socket the service is just closing (its
  // idle timeout) is reset, and a piped upload cannot be sent again; a busy machine hit that in the 500-file run.
  const agent = new http.Agent({ keepAlive: false, maxSockets: 64 });
  const server = http.createServer((req, res) => {
    if (req.method === 'POST' && req.url?.startsWith('/convert?')) posts++;
    const upstream = http.request({ host: '127.0.0.1', port: target, path: req.url, method: req.method, headers: req.headers, agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      resolve({ port, posts: () => posts, reset: () => (posts = 0), close: () => server.close() });
    });
  });
}

async function direct(base: string, files: string[]): Promise<number> {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < files.length; i = next++) {
      const body = new FormData();
      body.append('file', new Blob([await readFile(files[i])]), path.basename(files[i]));
      let id: string | null = null;
      while (!id) {
        const res = await fetch(`${base}/convert?targetFormat=jpg`, { method: 'POST', headers: { 'x-fast-api-key': KEY }, body });
        const answer = (await res.json()) as { id?: string };
        if (res.status === 202) id = answer.id!;
        else await delay(Number(res.headers.get('retry-after') ?? 1) * 1000);
      }
      for (;;) {
        await delay(250);
        const res = await fetch(`${base}/convert/job/${id}`, { headers: { 'x-fast-api-key': KEY } });
        if (res.status === 429) continue;
        const status = ((await res.json()) as { status: string }).status;
        if (status === 'Succeeded' || status === 'Failed' || status === 'Canceled') break;
      }
    }
  };
  // LIMIT workers: at most LIMIT jobs queued or running at once, as the account allows.
  await Promise.all(Array.from({ length: LIMIT }, worker));
  return performance.now() - started;
}

async function main() {
  const dir = tempDir('submit');
  console.log(`making ${FILES} files of 1–4 MB…`);
  const files = await makeFiles(path.join(dir, 'files'));
  const totalBytes = files.reduce((n, f) => n + statSync(f).size, 0);
  const startedAt = new Date().toISOString();
  const loadavgAtStart = loadavg();

  const servicePort = await freePort();
  const service = await startTs('convert-api/main.ts', {
    CONVERT_API_PORT: String(servicePort), CONVERT_API_KEYS: `${KEY}=bench`, CONVERT_API_DATA_DIR: path.join(dir, 'convert-api'),
    CONVERT_API_MIN_JOB_MS: '300', CONVERT_API_MAX_ACTIVE_PER_ACCOUNT: String(LIMIT), CONVERT_API_POLL_BURST: '1000', CONVERT_API_POLL_RATE_PER_SECOND: '20',
  });
  await waitForPort(servicePort, 30_000, service);
  const proxy = await countingProxy(servicePort);

  // Baseline 1: the direct script.
  const directMs = await direct(`http://127.0.0.1:${proxy.port}`, files);
  const directPosts = proxy.posts();
  proxy.reset();
  console.log(`direct script: ${fmt(directMs / 1000)} s, ${directPosts} POSTs`);

  // The dashboard.
  const dashPort = await freePort();
  const dashboard = await startTs('server/main.ts', {
    PORT: String(dashPort), DATA_DIR: path.join(dir, 'dashboard'), FAST_API_BASE: `http://127.0.0.1:${proxy.port}`, FAST_API_KEY: KEY,
    FEED_MAX_ACTIVE: String(LIMIT),
  });
  await waitForPort(dashPort, 120_000, dashboard);
  const dash = `http://127.0.0.1:${dashPort}`;
  const headers = { origin: dash, 'x-requested-with': 'bench' };
  await delay(1000);
  const idleRss = rssBytes(dashboard.pid) ?? 0;
  const rss = sampleRss(dashboard.pid, 100);
  const batch = (await (await fetch(`${dash}/api/batches`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bench' }) })).json()) as { batch: { id: string } };
  const t0 = performance.now();
  let upNext = 0;
  // As the upload panel does: three files at a time, each streamed as the request body.
  const uploader = async () => {
    for (let i = upNext++; i < files.length; i = upNext++) {
      const url = `${dash}/api/batches/${batch.batch.id}/files?targetFormat=jpg&fileName=${path.basename(files[i])}`;
      const res = await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/octet-stream' }, body: await readFile(files[i]) });
      if (res.status !== 202) throw new Error(`upload ${i}: ${res.status} ${await res.text()}`);
    }
  };
  await Promise.all([uploader(), uploader(), uploader()]);
  const receivedMs = performance.now() - t0;
  for (;;) {
    const snap = (await (await fetch(`${dash}/api/batches/${batch.batch.id}`, { headers })).json()) as { batch: { counts: Record<string, number> } };
    const c = snap.batch.counts;
    if (c.Succeeded + c.Failed + c.Canceled + c.InDoubt >= FILES) break;
    await delay(200);
  }
  const dashMs = performance.now() - t0;
  const dashPosts = proxy.posts();
  const peak = rss.stop().peak;
  console.log(`dashboard: received in ${fmt(receivedMs / 1000)} s, all done in ${fmt(dashMs / 1000)} s, ${dashPosts} POSTs`);

  // Baseline 2: a bare curl loop into a second batch (the feeder goes on; only the receive time counts).
  const other = (await (await fetch(`${dash}/api/batches`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'curl' }) })).json()) as { batch: { id: string } };
  const script = files
    .map((f) => `curl -sf -o /dev/null -H 'origin: ${dash}' -H 'x-requested-with: bench' -H 'content-type: application/octet-stream' --data-binary @${f} '${dash}/api/batches/${other.batch.id}/files?targetFormat=jpg&fileName=${path.basename(f)}'`)
    .join(' && ');
  // As a script file: 500 command lines are too long for one argument (E2BIG).
  const scriptFile = path.join(tempDir('submit-curl'), 'upload.sh');
  writeFileSync(scriptFile, script);
  const curl = await runCommand('sh', [scriptFile], { timeoutMs: 600_000 });
  console.log(`curl loop: ${fmt(curl.ms / 1000)} s`);
  await dashboard.stop();
  await service.stop();
  proxy.close();

  const goals: Goal[] = [
    { name: 'total time vs the direct script', value: dashMs / directMs, op: '<=', limit: 1.1, unit: '×' },
    { name: 'upstream POSTs vs the direct script', value: dashPosts / directPosts, op: '<=', limit: 1.05, unit: '×' },
    { name: 'dashboard RSS over idle', value: (peak - idleRss) / MIB, op: '<=', limit: 64, unit: ' MiB' },
    { name: 'browser part (all received) vs curl loop', value: receivedMs / curl.ms, op: '<=', limit: 1.2, unit: '×' },
  ];
  printGoals(goals);
  writeResults('submit', {
    startedAt, loadavgAtStart, goals,
    files: FILES, totalMiB: totalBytes / MIB, directMs, dashMs, receivedMs, curlMs: curl.ms, directPosts, dashPosts, idleRssMiB: idleRss / MIB, peakRssMiB: peak / MIB,
    notes: [
      'The dashboard uploads three files at a time (as the upload panel does); the curl loop one at a time.',
      'The direct script runs 18 workers, each posting one file and polling it every 250 ms until it ends.',
    ],
  });
}

runBench('submit', main);
