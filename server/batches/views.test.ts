import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobStatusResponse } from '../../contract/job.ts';
import { openBatchStore, type BatchStore } from './store.ts';
import { summaryFromJobs, summaryFromRow, toBatchJob } from './views.ts';

let dir = '';
let store: BatchStore | null = null;
afterEach(async () => {
  store?.close();
  store = null;
  if (dir) await rm(dir, { recursive: true, force: true });
});

const id = (n: number) => n.toString(16).padStart(32, '0');
const status = (jobId: string, s: JobStatusResponse['status'], percent: number): JobStatusResponse => ({
  id: jobId,
  status: s,
  progress: { percent, phase: null },
  metrics: { inputBytes: 10, outputBytes: 5, creditCost: 1 },
  error: null,
  output: s === 'Succeeded' ? { fileName: 'a.jpg', contentType: 'image/jpeg', fileCount: 1 } : null,
});

describe('the batch summary derived from the table of states', () => {
  it('gives the same counts and progress from the SQL aggregate as from the snapshot’s pass over its rows', async () => {
    dir = await mkdtemp(join(tmpdir(), 'batch-views-'));
    store = openBatchStore(dir);
    const batch = store.createBatch('every state', 1_000);
    const ids = Array.from({ length: 9 }, (_, n) => id(n + 1));
    store.addJobs(batch.id, ids, 1_000);
    store.recordStatus(ids[0], status(ids[0], 'Queued', 0), 1_000, 1_001);
    store.recordStatus(ids[1], status(ids[1], 'Running', 40), 1_000, 1_001);
    store.recordStatus(ids[2], status(ids[2], 'Succeeded', 100), 1_000, 1_001);
    store.recordStatus(ids[3], status(ids[3], 'Failed', 100), 1_000, 1_001);
    store.recordStatus(ids[4], status(ids[4], 'Canceled', 100), 1_000, 1_001);
    store.recordGone(ids[5], { error: 'jobs.not_found', detail: null, status: 404 }, 1_001);
    store.recordForbidden(ids[6], { error: 'jobs.forbidden', detail: null, status: 403 }, 1_001);
    // ids[7] stays Unknown; ids[8] succeeded, then its output was deleted upstream.
    store.recordStatus(ids[8], status(ids[8], 'Succeeded', 100), 1_000, 1_001);
    store.markOutputExpired(ids[8]);

    const fromSql = summaryFromRow(store.summary(batch.id)!);
    const fromRows = summaryFromJobs(batch, store.batchJobs(batch.id));
    expect(fromSql).toEqual(fromRows);
    expect(fromSql.counts).toEqual({ Waiting: 0, Sending: 0, InDoubt: 0, Queued: 1, Running: 1, Succeeded: 1, Failed: 1, Canceled: 1, Unknown: 1, Gone: 1, Forbidden: 1, Expired: 1 });
    expect(fromSql.outputsReady).toBe(1);
    // Seven measured jobs (Gone and Forbidden are left out): (0 + 40 + 100 + 100 + 100 + 0 + 100) / 7.
    expect(fromSql.progressPercent).toBe(62.9);
    expect(store.activeJobIdsOfBatch(batch.id).sort()).toEqual([ids[0], ids[1], ids[7]].sort());
  });
});

describe('a job deleted through the dashboard', () => {
  it('reads as deleted by the dashboard, while a job the upstream forgot still reads as not found', async () => {
    dir = await mkdtemp(join(tmpdir(), 'batch-views-'));
    store = openBatchStore(dir);
    const batch = store.createBatch('deleted', 1_000);
    store.addJobs(batch.id, [id(1), id(2)], 1_000);
    store.recordStatus(id(1), status(id(1), 'Succeeded', 100), 1_000, 1_001);
    store.markDeleted(id(1), 2_000);
    // The refresh after the delete sees the upstream's 404.
    store.recordGone(id(1), { error: 'jobs.not_found', detail: null, status: 404 }, 2_001);
    store.recordGone(id(2), { error: 'jobs.not_found', detail: null, status: 404 }, 2_000);
    const [deleted, forgotten] = store.batchJobs(batch.id).map((row) => toBatchJob(row, 3600));
    expect(deleted.state).toBe('Gone');
    expect(deleted.problem?.error).toBe('jobs.deleted');
    expect(forgotten.problem?.error).toBe('jobs.not_found');
  });
});
