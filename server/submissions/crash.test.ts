// @vitest-environment node
/**
 * `kill -9` of the dashboard (`tsx server/main.ts --dev`, with its bundled Convert service) while 100 files are
 * being spooled and fed; then a restart on the same data folder. Every file ends as exactly one row: a job the
 * upstream received once, or one In doubt row (received at most once). The upstream's own SQLite is the count.
 */
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { BatchSnapshot, CreateBatchResponse } from '../../contract/dashboard-api.ts';

const FILES = 100;
let files: Buffer[] = [];
const dirs: string[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  // Distinct small PNGs: each conversion is quick, so the feeder keeps sending while uploads go on.
  files = await Promise.all(
    Array.from({ length: FILES }, (_, i) =>
      sharp({ create: { width: 24, height: 24, channels: 3, background: { r: i, g: 255 - i, b: 128 } } }).png().toBuffer(),
    ),
  );
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

interface Dashboard {
  child: ChildProcess;
  base: string;
  exited: Promise<void>;
}

async function startDashboard(dataDir: string, env: Record<string, string> = {}): Promise<Dashboard> {
  const clean: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(FAST_API_|DASHBOARD_PASSWORD|HOST$|PORT$|ALLOWED_HOSTS|SUBMISSIONS_|CONVERT_API_|FEED_|SPOOL_)/.test(name)) clean[name] = value;
  }
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', '--dev'], {
    env: { ...clean, DATA_DIR: dataDir, PORT: '0', CONVERT_API_MIN_JOB_MS: '300', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines: string[] = [];
  const base = await new Promise<string>((resolve, reject) => {
    for (const stream of [child.stdout, child.stderr]) {
      readline.createInterface({ input: stream }).on('line', (line) => {
        lines.push(line);
        const match = /Dashboard: (http:\/\/\S+)/.exec(line);
        if (match) resolve(match[1]);
      });
    }
    void exited.then(() => reject(new Error(`the dashboard exited:\n${lines.join('\n')}`)));
  });
  return { child, base, exited };
}

function headers(base: string, extra: Record<string, string> = {}) {
  return { origin: base, 'x-requested-with': 'test', ...extra };
}

async function createBatch(base: string): Promise<string> {
  const res = await fetch(`${base}/api/batches`, {
    method: 'POST', headers: headers(base, { 'content-type': 'application/json' }), body: JSON.stringify({ name: 'Crash' }),
  });
  return ((await res.json()) as CreateBatchResponse).batch.id;
}

/**
 * Uploads `indexes` four at a time; resolves with the ones answered 202 (a killed server answers nothing, and a file
 * it held but did not answer for is sent again after the restart).
 */
async function uploadAll(base: string, batchId: string, indexes: number[], onAccepted?: (count: number) => void): Promise<Set<number>> {
  const accepted = new Set<number>();
  const queue = [...indexes];
  const worker = async () => {
    for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
      try {
        // The file's key is the same on both sides of the crash, as the upload panel's is on "Retry failed": a
        // file the first server recorded but whose 202 the kill swallowed is not kept twice.
        const name = `f-${String(i).padStart(3, '0')}`;
        const res = await fetch(`${base}/api/batches/${batchId}/files?targetFormat=jpg&fileName=${name}.png&uploadKey=key-${name}`, {
          method: 'POST', headers: headers(base, { 'content-type': 'application/octet-stream' }), body: new Uint8Array(files[i]),
        });
        if (res.status === 202) {
          accepted.add(i);
          onAccepted?.(accepted.size);
        }
        await res.body?.cancel();
      } catch {
        return; // the server is gone
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return accepted;
}

async function snapshot(base: string, batchId: string): Promise<BatchSnapshot> {
  return (await (await fetch(`${base}/api/batches/${batchId}`, { headers: headers(base) })).json()) as BatchSnapshot;
}

/** The batch once it lists `expected` rows and none of them is still on its way. */
function settle(base: string, batchId: string, expected: number): Promise<BatchSnapshot> {
  return vi.waitFor(
    async () => {
      const snap = await snapshot(base, batchId);
      const busy = snap.jobs.filter((j) => ['Waiting', 'Sending', 'Queued', 'Running', 'Unknown'].includes(j.state));
      if (snap.jobs.length < expected || busy.length > 0) {
        throw new Error(`${snap.jobs.length} of ${expected} rows, ${busy.length} still on their way`);
      }
      return snap;
    },
    { timeout: 180_000, interval: 500 },
  );
}

/** What the bundled service received: how many jobs it created per file stem. */
function upstreamCounts(dataDir: string): Map<string, number> {
  const db = new Database(path.join(dataDir, 'convert-api', 'convert-api.sqlite'), { readonly: true });
  try {
    const rows = db.prepare('SELECT stem, count(*) AS n FROM jobs GROUP BY stem').all() as { stem: string; n: number }[];
    return new Map(rows.map((r) => [r.stem, r.n]));
  } finally {
    db.close();
  }
}

async function stop(dashboard: Dashboard): Promise<void> {
  dashboard.child.kill('SIGTERM');
  await dashboard.exited;
}

async function run(crashEnv: Record<string, string>, killAfterAccepted: number | null) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'dash-crash-'));
  dirs.push(dataDir);
  const first = await startDashboard(dataDir, crashEnv);
  const batchId = await createBatch(first.base);
  const all = Array.from({ length: FILES }, (_, i) => i);
  const accepted = await uploadAll(first.base, batchId, all, (count) => {
    if (killAfterAccepted !== null && count === killAfterAccepted) first.child.kill('SIGKILL');
  });
  await first.exited;

  // After the restart the operator's client sends what was never answered 202, as the upload panel does.
  const second = await startDashboard(dataDir);
  const rest = all.filter((i) => !accepted.has(i));
  const late = await uploadAll(second.base, batchId, rest);
  expect(late.size).toBe(rest.length);
  const snap = await settle(second.base, batchId, FILES);
  await stop(second);

  const byName = new Map<string, BatchSnapshot['jobs']>();
  for (const job of snap.jobs) byName.set(job.fileName!, [...(byName.get(job.fileName!) ?? []), job]);
  const counts = upstreamCounts(dataDir);
  let inDoubt = 0;
  for (const i of all) {
    const name = `f-${String(i).padStart(3, '0')}.png`;
    const rows = byName.get(name) ?? [];
    expect(rows, name).toHaveLength(1);
    const received = counts.get(name.replace('.png', '')) ?? 0;
    if (rows[0].state === 'InDoubt') {
      inDoubt++;
      expect(received, name).toBeLessThanOrEqual(1);
    } else {
      expect(rows[0].state, name).toBe('Succeeded');
      expect(received, name).toBe(1);
    }
  }
  return { accepted: accepted.size, inDoubt, snap };
}

describe('a kill -9 of the dashboard while files are spooled and fed', () => {
  it('ends with every file a job exactly once, or one In doubt row, and the upstream received each at most once', async () => {
    const result = await run({}, 50);
    expect(result.accepted).toBeGreaterThanOrEqual(50);
  }, 300_000);

  it('with the crash between recording a file and answering for it: sent again with its key, it is kept once', async () => {
    // Deterministic form of the race of the first test: the 20th file is on the server's disk and in its queue, its
    // 202 never leaves, so the client sends it again after the restart.
    const result = await run({ SUBMISSIONS_CRASH_AFTER_RECORDED: '20' }, null);
    expect(result.accepted).toBeLessThan(20);
  }, 300_000);

  it('with the crash exactly between the upstream 202 and its record: that file is In doubt, received once', async () => {
    const result = await run({ SUBMISSIONS_CRASH_AFTER_ACCEPTED: '10' }, null);
    expect(result.inDoubt).toBeGreaterThanOrEqual(1);
  }, 300_000);
});
