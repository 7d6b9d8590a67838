// @vitest-environment node
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Slicer } from './slicer.ts';
import { openBatchStore } from './store.ts';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('WAL checkpoints of the batch store', () => {
  it('are left out of the commit and done by the checkpoint thread, and the WAL is gone after close', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'batch-checkpoint-'));
    dirs.push(dir);
    const store = openBatchStore(dir);
    const dbFile = join(dir, 'dashboard.sqlite');
    try {
      // The commit on the event loop must not copy the WAL into the database (that was 0.4-1.2 s after a big paste).
      expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
      const emptySize = statSync(dbFile).size;
      const ids = Array.from({ length: 20_000 }, () => randomBytes(16).toString('hex'));
      await store.importJobs({ name: 'Big' }, ids, 1000, { perBatch: 20_000, total: 20_000 }, new Slicer());
      // Several MB written: they reach the database file only by a checkpoint, which only the thread runs.
      await vi.waitFor(() => expect(statSync(dbFile).size).toBeGreaterThan(emptySize + 1_000_000), { timeout: 20_000, interval: 100 });
      expect(store.batchJobVersions(store.listBatches()[0].id)).toHaveLength(20_000);
    } finally {
      store.close();
    }
    expect(existsSync(`${dbFile}-wal`)).toBe(false);
    const reopened = openBatchStore(dir);
    try {
      expect(reopened.listBatches().map((b) => b.name)).toEqual(['Big']);
    } finally {
      reopened.close();
    }
  });
});
