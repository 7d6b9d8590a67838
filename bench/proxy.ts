/**
 * Benchmark of the dashboard server's proxy (issue 3) against Debian's nginx `proxy_pass` to the SAME upstream.
 *
 * The upstream is a second nginx (C, answers from memory / sendfile) so that it is never the bottleneck:
 * `GET /convert/job/{id}` → a fixed status JSON, `GET /convert/job/{id}/download` → a 1 GiB file; both check the
 * key, so a proxy that forgot it would fail loudly (non-2xx counted by wrk).
 *  1. Status GET throughput with wrk at 10 and 50 connections: req/s ratio and p99 ratio (proxy / nginx), plus
 *     CPU seconds per 10k requests of each (where the time goes on 2 shared cores).
 *  2. 1 GiB download through each (nginx with `proxy_buffering off`): throughput ratio; the proxy's peak RSS.
 *  3. With BENCH_PROFILE=1 (default on): a CPU profile of the proxy under load, summarised by function/package.
 *
 * Env: BENCH_ROUNDS (3), BENCH_DURATION_S (10), BENCH_NGINX_WORKERS (1: one worker, like Node's one event-loop
 * thread), BENCH_PROFILE (1), BENCH_DOWNLOAD_MIB (1024), BENCH_ECHO=1.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync, createWriteStream } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { runBench } from './lib/cleanup.ts';
import { summariseProfile, type ProfileSummary } from './lib/cpu-profile.ts';
import { cpuSeconds, delay, freePort, REPO_ROOT, runCommand, sampleRss, startProcess, startTs, waitForPort } from './lib/proc.ts';
import { fmt, loadavg, median, mib, printGoals, writeResults, type Goal } from './lib/report.ts';
import { tempDir } from './lib/tmp.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const NGINX_WORKERS = process.env.BENCH_NGINX_WORKERS ?? '1';
const DOWNLOAD_MIB = Number(process.env.BENCH_DOWNLOAD_MIB ?? 1024);
const PROFILE = process.env.BENCH_PROFILE !== '0';
const NGINX = '/usr/sbin/nginx';
const JOB_ID = '019c56457340753ba9441d7b4e6516a0';
const STATUS_BODY = JSON.stringify({
  id: JOB_ID,
  status: 'Running',
  progress: { percent: 42, phase: 'converting' },
  metrics: { inputBytes: 10333959, outputBytes: 0, creditCost: 1 },
  error: null,
  output: null,
});

function nginxCommon(dir: string, name: string, workers: string): string {
  return `
worker_processes ${workers};
daemon off;
master_process on;
pid ${dir}/${name}.pid;
error_log ${dir}/${name}-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/${name}-body;
  proxy_temp_path ${dir}/${name}-proxy;
  fastcgi_temp_path ${dir}/${name}-fastcgi;
  uwsgi_temp_path ${dir}/${name}-uwsgi;
  scgi_temp_path ${dir}/${name}-scgi;
  keepalive_requests 1000000;
  keepalive_timeout 75s;
`;
}

function upstreamConfig(dir: string, port: number, key: string, bigFile: string): string {
  const escaped = STATUS_BODY.replace(/'/g, "\\'");
  return `${nginxCommon(dir, 'upstream', '1')}
  sendfile on;
  server {
    listen 127.0.0.1:${port} reuseport;
    if ($http_x_fast_api_key != "${key}") { return 401 '{"error":"api_key.invalid_or_ip_not_allowed","detail":null}'; }
    location ~ "^/convert/job/[0-9a-f]{32}$" { default_type application/json; return 200 '${escaped}'; }
    location ~ "^/convert/job/[0-9a-f]{32}/download$" {
      root ${path.dirname(bigFile)};
      try_files /${path.basename(bigFile)} =404;
      default_type application/octet-stream;
      add_header Content-Disposition 'attachment; filename="big.bin"';
    }
    location = /convert/conversions { default_type application/json; return 200 '{"conversions":[]}'; }
    location / { default_type application/json; return 404 '{"error":"not_found","detail":null}'; }
  }
}
`;
}

function nginxProxyConfig(dir: string, port: number, upstreamPort: number, key: string): string {
  const proxy = `
      proxy_pass http://convert;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Fast-Api-Key "${key}";`;
  return `${nginxCommon(dir, 'proxy', NGINX_WORKERS)}
  upstream convert { server 127.0.0.1:${upstreamPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location /convert/ {${proxy}
    }
    location ~ "^/convert/job/[0-9a-f]{32}/download$" {${proxy}
      proxy_buffering off;
    }
  }
}
`;
}

interface WrkResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  socketErrors: string | null;
  cpuSeconds: number;
}

function parseLatency(value: string): number {
  const m = value.match(/^([\d.]+)(us|ms|s|m)$/);
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
}

async function wrk(url: string, connections: number, seconds: number, targetPid: number): Promise<WrkResult> {
  const cpuBefore = cpuSeconds(targetPid);
  // One wrk thread: on 2 cores the load generator must leave room for the proxy and the upstream.
  const { stdout } = await runCommand('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '--timeout', '10s', url], {
    timeoutMs: (seconds + 30) * 1000,
  });
  const cpu = cpuSeconds(targetPid) - cpuBefore;
  const rps = Number(stdout.match(/Requests\/sec:\s+([\d.]+)/)?.[1] ?? NaN);
  const requests = Number(stdout.match(/(\d+) requests in/)?.[1] ?? NaN);
  const p50 = parseLatency(stdout.match(/^\s+50%\s+(\S+)/m)?.[1] ?? '');
  const p99 = parseLatency(stdout.match(/^\s+99%\s+(\S+)/m)?.[1] ?? '');
  const non2xx = Number(stdout.match(/Non-2xx or 3xx responses:\s+(\d+)/)?.[1] ?? 0);
  const socketErrors = stdout.match(/Socket errors:.*$/m)?.[0] ?? null;
  return { rps, p50Ms: p50, p99Ms: p99, requests, non2xx, socketErrors, cpuSeconds: cpu };
}

async function curlDownload(url: string): Promise<{ bytes: number; seconds: number; mibPerS: number }> {
  const { stdout } = await runCommand('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code} %{size_download} %{time_total}', url], { timeoutMs: 600_000 });
  const [code, bytes, seconds] = stdout.trim().split(' ').map(Number);
  if (code !== 200) {
    const res = await fetch(url);
    throw new Error(`GET ${url} → ${code}: ${(await res.text()).slice(0, 300)}`);
  }
  return { bytes, seconds, mibPerS: bytes / 2 ** 20 / seconds };
}

async function makeBigFile(file: string, mibSize: number): Promise<void> {
  const block = randomBytes(16 * 2 ** 20);
  await new Promise<void>((resolve, reject) => {
    const out = createWriteStream(file);
    out.on('error', reject);
    let i = 0;
    const write = () => {
      while (i < Math.ceil(mibSize / 16)) {
        i++;
        if (!out.write(block)) { out.once('drain', write); return; }
      }
      out.end(resolve);
    };
    write();
  });
}

runBench('proxy', async () => {
  const startedAt = new Date().toISOString();
  const loadavgAtStart = loadavg();
  const notes: string[] = [];
  console.log(`proxy bench: ${ROUNDS} rounds × ${DURATION_S} s per point; load ${loadavgAtStart}`);
  const dir = tempDir('proxy');
  const key = `bench-${randomBytes(12).toString('hex')}`;
  const bigFile = path.join(dir, 'big.bin');
  await makeBigFile(bigFile, DOWNLOAD_MIB);
  // nginx workers run as an unprivileged user when started as root: they must be able to read the file.
  chmodSync(dir, 0o755);
  chmodSync(bigFile, 0o644);

  const upstreamPort = await freePort();
  writeFileSync(path.join(dir, 'upstream.conf'), upstreamConfig(dir, upstreamPort, key, bigFile));
  const upstream = await startProcess(NGINX, ['-p', dir, '-c', path.join(dir, 'upstream.conf')]);
  await waitForPort(upstreamPort, 10_000, upstream);

  const nginxPort = await freePort();
  writeFileSync(path.join(dir, 'proxy.conf'), nginxProxyConfig(dir, nginxPort, upstreamPort, key));
  const nginx = await startProcess(NGINX, ['-p', dir, '-c', path.join(dir, 'proxy.conf')]);
  await waitForPort(nginxPort, 10_000, nginx);

  const usesMain = existsSync(path.join(REPO_ROOT, 'server', 'main.ts'));
  const mainScript = usesMain ? 'server/main.ts' : 'bench/lib/proxy-entry.ts';
  const echo = process.env.BENCH_ECHO ? '[server] ' : undefined;
  const startDashboard = async (script: string, nodeArgs: string[] = [], extraEnv: Record<string, string> = {}) => {
    const port = await freePort();
    const dataDir = path.join(dir, `data-${port}`);
    mkdirSync(dataDir);
    const env = { FAST_API_BASE: `http://127.0.0.1:${upstreamPort}`, FAST_API_KEY: key, HOST: '127.0.0.1', PORT: String(port), DATA_DIR: dataDir, BODY: STATUS_BODY, ...extraEnv };
    const proc = await startTs(script, env, { echo, nodeArgs });
    await waitForPort(port, 120_000, proc);
    return { proc, base: `http://127.0.0.1:${port}` };
  };
  const server = await startDashboard(mainScript);
  // The proxy core alone, to separate its cost from what the rest of the server adds per request.
  const core = usesMain ? await startDashboard('bench/lib/proxy-entry.ts') : null;
  // The textbook plain Node proxy (node:http + undici request(), nothing else), for scale.
  const plain = await startDashboard('bench/lib/node-plain-proxy.ts');
  // The same on two processes (node:cluster): what a second process buys on 2 shared cores.
  const plain2 = await startDashboard('bench/lib/node-plain-proxy.ts', [], { WORKERS: '2' });
  // Node's floor: a bare node:http server answering from memory (no upstream at all).
  const hello = await startDashboard('bench/lib/node-hello.ts');
  notes.push(usesMain ? '`proxy` = `server/main.ts` (the real dashboard server: batches, tracker and job-action hook included), `core` = `bench/lib/proxy-entry.ts` (buildServer + upstream client only); both `node --import tsx`, NODE_ENV=production.' : '`proxy` = `bench/lib/proxy-entry.ts` (buildServer + createUpstreamClient) because `server/main.ts` does not exist yet.');

  type Target = 'proxy' | 'core' | 'plain' | 'plain2' | 'hello' | 'nginx';
  const targets: Partial<Record<Target, { base: string; pid: number }>> = {
    proxy: { base: server.base, pid: server.proc.pid },
    ...(core ? { core: { base: core.base, pid: core.proc.pid } } : {}),
    plain: { base: plain.base, pid: plain.proc.pid },
    plain2: { base: plain2.base, pid: plain2.proc.pid },
    hello: { base: hello.base, pid: hello.proc.pid },
    nginx: { base: `http://127.0.0.1:${nginxPort}`, pid: nginx.pid },
  };
  const targetNames = Object.keys(targets) as Target[];
  const statusPath = `/convert/job/${JOB_ID}`;
  for (const [name, t] of Object.entries(targets)) {
    const res = await fetch(t.base + statusPath);
    const text = await res.text();
    if (res.status !== 200 || text !== STATUS_BODY) throw new Error(`${name}: GET ${statusPath} → ${res.status} ${text.slice(0, 300)}`);
  }

  // 1. Status GET throughput.
  console.log('warm-up…');
  for (const t of Object.values(targets)) await wrk(t.base + statusPath, 50, 3, t.pid);
  const connectionsList = [10, 50];
  const runs: Record<string, WrkResult[]> = {};
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of connectionsList) {
      const order = r % 2 === 0 ? targetNames : [...targetNames].reverse();
      for (const name of order) {
        const t = targets[name]!;
        const res = await wrk(t.base + statusPath, c, DURATION_S, t.pid);
        if (res.non2xx > 0) throw new Error(`${name} c=${c}: ${res.non2xx} non-2xx answers`);
        (runs[`${name}@${c}`] ??= []).push(res);
        console.log(`round ${r + 1} c=${String(c).padEnd(2)} ${name.padEnd(5)} ${res.rps.toFixed(0).padStart(7)} req/s  p50 ${fmt(res.p50Ms)} ms  p99 ${fmt(res.p99Ms)} ms  cpu ${fmt((res.cpuSeconds / res.requests) * 1e6, 1)} µs/req  (load ${loadavg().split(' ')[0]})`);
      }
    }
  }
  const goals: Goal[] = [];
  const throughput: Record<string, unknown> = {};
  for (const c of connectionsList) {
    const p = runs[`proxy@${c}`];
    const n = runs[`nginx@${c}`];
    const k = runs[`core@${c}`] ?? [];
    const f = runs[`plain@${c}`] ?? [];
    const f2 = runs[`plain2@${c}`] ?? [];
    const h = runs[`hello@${c}`] ?? [];
    const m = (xs: WrkResult[], f: (x: WrkResult) => number) => median(xs.map(f));
    const cpu = (x: WrkResult) => (x.cpuSeconds / x.requests) * 1e6;
    const summary = {
      proxyRps: m(p, (x) => x.rps), coreRps: m(k, (x) => x.rps), plainRps: m(f, (x) => x.rps), plain2Rps: m(f2, (x) => x.rps), helloRps: m(h, (x) => x.rps), nginxRps: m(n, (x) => x.rps),
      proxyP99Ms: m(p, (x) => x.p99Ms), coreP99Ms: m(k, (x) => x.p99Ms), plainP99Ms: m(f, (x) => x.p99Ms), plain2P99Ms: m(f2, (x) => x.p99Ms), helloP99Ms: m(h, (x) => x.p99Ms), nginxP99Ms: m(n, (x) => x.p99Ms),
      proxyCpuUsPerReq: m(p, cpu), coreCpuUsPerReq: m(k, cpu), plainCpuUsPerReq: m(f, cpu), plain2CpuUsPerReq: m(f2, cpu), helloCpuUsPerReq: m(h, cpu), nginxCpuUsPerReq: m(n, cpu),
    };
    throughput[`c${c}`] = { ...summary, rounds: { proxy: p, core: k, plain: f, plain2: f2, hello: h, nginx: n } };
    goals.push({ name: `status GET req/s, proxy / nginx, ${c} connections`, value: summary.proxyRps / summary.nginxRps, op: '>=', limit: 0.5, unit: '×' });
    goals.push({ name: `status GET p99, proxy / nginx, ${c} connections`, value: summary.proxyP99Ms / summary.nginxP99Ms, op: '<=', limit: 2, unit: '×' });
  }

  // 3. Where the proxy's time goes: a V8 CPU profile of the server under the same load, in a separate process
  // so that profiling does not skew 1. (`--cpu-prof` writes the profile when the server exits on SIGTERM).
  let profile: ProfileSummary | null = null;
  if (PROFILE) {
    const profDir = path.join(dir, 'cpu-prof');
    mkdirSync(profDir);
    const prof = await startDashboard(mainScript, ['--cpu-prof', '--cpu-prof-dir', profDir, '--cpu-prof-interval', '200']);
    await wrk(prof.base + statusPath, 50, 2, prof.proc.pid);
    await wrk(prof.base + statusPath, 50, DURATION_S, prof.proc.pid);
    // Stopped right away: the profile's last DURATION_S seconds are the load (idle time is not counted anyway).
    await prof.proc.stop();
    const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    if (file) {
      profile = summariseProfile(path.join(profDir, file), 20, DURATION_S * 1000);
      const keep = path.join(REPO_ROOT, 'bench', 'results', 'proxy.cpuprofile.summary.json');
      mkdirSync(path.dirname(keep), { recursive: true });
      writeFileSync(keep, JSON.stringify(profile, null, 2) + '\n');
    } else {
      notes.push('CPU profile: no profile was written.');
    }
  }

  // 2. 1 GiB download, streamed; the proxy's RSS sampled throughout.
  console.log(`\n${DOWNLOAD_MIB} MiB download…`);
  const dlPath = `/convert/job/${JOB_ID}/download`;
  await delay(2000);
  const idleSampler = sampleRss(server.proc.pid, 100);
  await delay(2000);
  const idleRss = idleSampler.stop().median;
  const downloads: Record<'proxy' | 'nginx', number[]> = { proxy: [], nginx: [] };
  let peakRss = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? (['proxy', 'nginx'] as const) : (['nginx', 'proxy'] as const);
    for (const name of order) {
      const sampler = name === 'proxy' ? sampleRss(server.proc.pid, 25) : null;
      const d = await curlDownload(targets[name]!.base + dlPath);
      if (sampler) peakRss = Math.max(peakRss, sampler.stop().peak);
      if (d.bytes !== DOWNLOAD_MIB * 2 ** 20) throw new Error(`${name}: downloaded ${d.bytes} bytes`);
      downloads[name].push(d.mibPerS);
      console.log(`round ${r + 1} ${name.padEnd(5)} ${d.mibPerS.toFixed(0)} MiB/s (${fmt(d.seconds)} s)`);
    }
  }
  const dl = { proxyMiBps: median(downloads.proxy), nginxMiBps: median(downloads.nginx), idleRss, peakRss, rounds: downloads };
  goals.push({ name: `${DOWNLOAD_MIB} MiB download throughput, proxy / nginx`, value: dl.proxyMiBps / dl.nginxMiBps, op: '>=', limit: 1, unit: '×' });
  goals.push({ name: 'proxy peak RSS over idle during downloads', value: (peakRss - idleRss) / 2 ** 20, op: '<=', limit: 64, unit: ' MiB' });

  printGoals(goals);
  notes.push(
    `load: wrk -t1 (one thread, leaves CPU to the proxy and upstream), ${DURATION_S} s per point, ${ROUNDS} rounds alternating the order, medians; the same status URL each time.`,
    `nginx: Debian's ${NGINX}, worker_processes ${NGINX_WORKERS} (one worker, like Node's one event-loop thread), upstream block with keepalive 64, proxy_http_version 1.1, Connection "", the key set with proxy_set_header; downloads with proxy_buffering off.`,
    'upstream: a second nginx (worker_processes 1) answering from memory / sendfile and checking the key.',
    '`hello` = `bench/lib/node-hello.ts`: a bare node:http server answering the same body from memory, with no upstream request at all. It is Node\'s floor here: any Node proxy does strictly more per request, so a p99 of `hello` above 2× nginx\'s means the p99 goal is out of reach for one Node process on this machine, whatever the proxy does.',
    '`plain` = `bench/lib/node-plain-proxy.ts`: the textbook Node proxy (node:http + undici Pool `request()`, id check, key, small body collected; no framework or hooks), for scale; not a candidate implementation. `plain2` = the same as two `node:cluster` workers on one port: what a second process buys, and what it does to the tail, when wrk, the upstream and the proxy share 2 cores.',
    'cpu µs/req: user+system CPU of the proxy process (or nginx master+workers) during a run, divided by the requests served: the cost per request independent of how the 2 cores were shared.',
    `download: curl to /dev/null, ${DOWNLOAD_MIB} MiB of incompressible data; idle RSS ${mib(idleRss)} (median over 2 s after the load tests), peak ${mib(peakRss)} sampled every 25 ms.`,
  );
  const tableRows = connectionsList.map((c) => {
    const s = throughput[`c${c}`] as Record<string, number>;
    return (['proxy', 'core', 'plain', 'plain2', 'hello', 'nginx'] as const)
      .map((t) => `| ${c} | ${t} | ${fmt(s[`${t}Rps`], 0)} | ${fmt(s[`${t}P99Ms`])} | ${fmt(s[`${t}CpuUsPerReq`], 1)} |`)
      .join('\n');
  });
  const extra = [
    '## Status GET (medians)',
    '',
    '| connections | target | req/s | p99 ms | CPU µs/req |',
    '|---|---|---|---|---|',
    ...tableRows,
    '',
    `## Download: proxy ${dl.proxyMiBps.toFixed(0)} MiB/s, nginx ${dl.nginxMiBps.toFixed(0)} MiB/s (medians)`,
    '',
    ...(profile
      ? [
          `## Where the proxy's CPU goes (V8 profile of ${mainScript} under 50 connections, ${fmt(profile.totalMs - profile.idleMs, 0)} ms busy of ${fmt(profile.totalMs, 0)} ms)`,
          '',
          '| package / area | self % |',
          '|---|---|',
          ...profile.byPackage.map((p) => `| ${p.pkg} | ${fmt(p.pct, 1)} |`),
          '',
          '| function | where | self % |',
          '|---|---|---|',
          ...profile.byFunction.map((f) => `| ${f.name} | ${f.where} | ${fmt(f.pct, 1)} |`),
          '',
        ]
      : []),
  ].join('\n');
  writeResults('proxy', { startedAt, loadavgAtStart, goals, notes, usesMain, nginxWorkers: NGINX_WORKERS, throughput, download: dl, profile }, extra);
});
