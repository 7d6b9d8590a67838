// @vitest-environment node
import Database from 'better-sqlite3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from '../../contract/sqlite-migrations.ts';
import type { JobStatusResponse } from '../../contract/job.ts';
import { MIGRATIONS, openBatchStore, type BatchStore } from './store.ts';

const dirs: string[] = [];
const stores: BatchStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) s.close();
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'batch-totals-'));
  dirs.push(dir);
  return dir;
}

const id = (n: number) => n.toString(16).padStart(32, '0');

/** A small deterministic random sequence, so a failure replays. */
function seeded(seed: number) {
  let x = seed;
  return () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

function status(jobId: string, state: JobStatusResponse['status'], percent: number, credits: number, output: boolean): JobStatusResponse {
  return {
    id: jobId,
    status: state,
    progress: { percent, phase: null },
    metrics: { inputBytes: Math.round(percent * 1000), outputBytes: output ? 5000 : 0, creditCost: credits },
    error: state === 'Failed' ? { code: 'conversion_failed', detail: null } : null,
    output: output ? { fileName: 'out.jpg', contentType: 'image/jpeg', fileCount: 1 } : null,
  };
}

function expectTotalsMatchScan(store: BatchStore, batchIds: readonly string[]): void {
  for (const b of batchIds) {
    const kept = store.summary(b);
    const scanned = store.summaryByScan(b);
    if (!scanned) {
      expect(kept).toBeUndefined();
      continue;
    }
    // Sums of fractions: the kept totals are exact in milli/micro units, the scan sums floats.
    expect({ ...kept, percent_sum: Math.round(kept!.percent_sum * 1000), credits: Math.round(kept!.credits * 1e6) }).toEqual({
      ...scanned,
      percent_sum: Math.round(scanned.percent_sum * 1000),
      credits: Math.round(scanned.credits * 1e6),
    });
  }
}

describe('batch totals kept by triggers', () => {
  it('always equal the aggregate over the jobs, through adds, statuses, removals, outputs, kept copies and deletions', async () => {
    const store = openBatchStore(await dataDir());
    stores.push(store);
    const random = seeded(7);
    const a = store.createBatch('A', 1000).id;
    const b = store.createBatch('B', 1000).id;
    const all = Array.from({ length: 60 }, (_, i) => id(i + 1));
    store.addJobs(a, all.slice(0, 40), 1000);
    // Twenty jobs listed in both batches: a change counts in each.
    store.addJobs(b, all.slice(20), 1000);
    expectTotalsMatchScan(store, [a, b]);
    const states = ['Queued', 'Running', 'Running', 'Succeeded', 'Failed'] as const;
    for (let step = 0; step < 400; step++) {
      const job = all[Math.floor(random() * all.length)];
      const r = random();
      if (r < 0.6) {
        const state = states[Math.floor(random() * states.length)];
        store.recordStatus(job, status(job, state, Math.round(random() * 1000) / 10, Math.round(random() * 30) / 10, state === 'Succeeded'), 2000 + step, 2000 + step);
      } else if (r < 0.68) store.markOutputExpired(job);
      else if (r < 0.74) store.recordKept(job, { at: 3000, until: 9000, bytes: 10, type: 'image/jpeg', disposition: null });
      else if (r < 0.8) store.recordKeepProblem(job, 'disk_full');
      else if (r < 0.86) store.removeJobs(random() < 0.5 ? a : b, [job]);
      else if (r < 0.92) store.addJobs(random() < 0.5 ? a : b, [job], 3000 + step);
      else store.recordGone(job, { error: 'jobs.not_found', detail: null, status: 404 }, 4000 + step);
      if (step % 25 === 0) expectTotalsMatchScan(store, [a, b]);
    }
    expectTotalsMatchScan(store, [a, b]);
    expect(store.skippedForSpace(a)).toBe(store.db.prepare("SELECT count(*) FROM batch_jobs x JOIN jobs j ON j.id = x.job_id WHERE x.batch_id = ? AND j.keep_problem = 'disk_full'").pluck().get(a));
    store.deleteBatch(a);
    expectTotalsMatchScan(store, [a, b]);
    expect(store.db.prepare('SELECT count(*) AS n FROM batch_state_totals WHERE batch_id = ?').get(a)).toEqual({ n: 0 });
  });

  it('are built from the jobs already there when a data folder at version 5 is opened', async () => {
    const dir = await dataDir();
    const db = new Database(join(dir, 'dashboard.sqlite'));
    migrate(db, MIGRATIONS.slice(0, 5), 'dashboard');
    db.prepare("INSERT INTO batches (id, name, created_at) VALUES ('b1', 'Version 5 batch', 1000)").run();
    db.prepare("INSERT INTO jobs (id, state, added_at, percent, credits, has_output) VALUES (?, 'Running', 1000, 40.5, 1.1, 0), (?, 'Succeeded', 1000, 100, 2.2, 1)").run(id(1), id(2));
    db.prepare("INSERT INTO batch_jobs (batch_id, job_id, added_at) VALUES ('b1', ?, 1000), ('b1', ?, 1000)").run(id(1), id(2));
    db.close();
    const store = openBatchStore(dir);
    stores.push(store);
    expect(store.summary('b1')).toMatchObject({ job_count: 2, count_Running: 1, count_Succeeded: 1, outputs_ready: 1, credits: 3.3 });
    expectTotalsMatchScan(store, ['b1']);
    store.recordStatus(id(1), status(id(1), 'Succeeded', 100, 1.1, true), 2000, 2000);
    expect(store.summary('b1')).toMatchObject({ count_Running: 0, count_Succeeded: 2, outputs_ready: 2 });
    expectTotalsMatchScan(store, ['b1']);
  });
});
