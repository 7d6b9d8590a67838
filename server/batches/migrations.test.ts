// @vitest-environment node
import Database from 'better-sqlite3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { latestVersion, migrate } from '../../contract/sqlite-migrations.ts';
import { MIGRATIONS, openBatchStore } from './store.ts';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'batch-migrations-'));
  dirs.push(dir);
  return dir;
}

/** A data folder as a dashboard from before numbered migrations left it: its schema, user_version 0. */
function writeUnversionedFolder(dir: string): void {
  const db = new Database(join(dir, 'dashboard.sqlite'));
  const baseline = MIGRATIONS[0].up;
  if (typeof baseline !== 'string') throw new Error('migration 1 is the old schema as SQL');
  db.exec(baseline);
  db.prepare("INSERT INTO batches (id, name, created_at, revision) VALUES ('b1', 'Old batch', 1000, 4)").run();
  db.prepare("INSERT INTO jobs (id, state, added_at, percent) VALUES ('job-1', 'Running', 1000, 40)").run();
  db.prepare("INSERT INTO batch_jobs (batch_id, job_id, added_at) VALUES ('b1', 'job-1', 1000)").run();
  expect(db.pragma('user_version', { simple: true })).toBe(0);
  db.close();
}

describe('batch store migrations', () => {
  it('opens a data folder from before migrations with its batches and jobs intact, at the newest version', async () => {
    const dir = await dataDir();
    writeUnversionedFolder(dir);
    const store = openBatchStore(dir);
    try {
      expect(store.getBatch('b1')).toMatchObject({ name: 'Old batch', revision: 4 });
      expect(store.batchJobs('b1').map((j) => [j.id, j.state, j.percent])).toEqual([['job-1', 'Running', 40]]);
    } finally {
      store.close();
    }
    const db = new Database(join(dir, 'dashboard.sqlite'), { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(latestVersion(MIGRATIONS));
    db.close();
  });

  it('opens a data folder at version 2 with empty history tables, and a deleted batch takes its history along', async () => {
    const dir = await dataDir();
    const db = new Database(join(dir, 'dashboard.sqlite'));
    migrate(db, MIGRATIONS.slice(0, 2), 'dashboard');
    db.prepare("INSERT INTO batches (id, name, created_at) VALUES ('b1', 'Version 2 batch', 1000)").run();
    db.close();
    const store = openBatchStore(dir);
    try {
      expect(store.getBatch('b1')).toMatchObject({ name: 'Version 2 batch' });
      store.db.prepare("INSERT INTO batch_history (batch_id, at, counts) VALUES ('b1', 2000, '{}')").run();
      store.db.prepare("INSERT INTO job_observed (job_id, first_running_at) VALUES ('job-1', 1500)").run();
      store.deleteBatch('b1');
      expect(store.db.prepare('SELECT count(*) FROM batch_history').pluck().get()).toBe(0);
    } finally {
      store.close();
    }
  });

  it('opens a data folder at version 3 with every batch keeping outputs and no job kept yet (migration 4)', async () => {
    const dir = await dataDir();
    const db = new Database(join(dir, 'dashboard.sqlite'));
    migrate(db, MIGRATIONS.slice(0, 3), 'dashboard');
    db.prepare("INSERT INTO batches (id, name, created_at) VALUES ('b1', 'Version 1', 1000)").run();
    db.prepare("INSERT INTO jobs (id, state, added_at, has_output) VALUES ('job-1', 'Succeeded', 1000, 1)").run();
    db.prepare("INSERT INTO batch_jobs (batch_id, job_id, added_at) VALUES ('b1', 'job-1', 1000)").run();
    expect(db.pragma('user_version', { simple: true })).toBe(3);
    db.close();
    const store = openBatchStore(dir);
    try {
      expect(store.getBatch('b1')).toMatchObject({ name: 'Version 1', keep_outputs: 1 });
      expect(store.getJob('job-1')).toMatchObject({ state: 'Succeeded', kept_at: null, keep_problem: null });
      expect(store.keepCandidates()).toEqual(['job-1']);
    } finally {
      store.close();
    }
  });

  it('creates a new data folder at the newest version', async () => {
    const dir = await dataDir();
    openBatchStore(dir).close();
    const db = new Database(join(dir, 'dashboard.sqlite'), { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(latestVersion(MIGRATIONS));
    db.close();
  });

  it('opens a data folder at version 1 and answers deltas from then on, sending a tab of before a fresh base', async () => {
    const dir = await dataDir();
    writeUnversionedFolder(dir);
    const v1 = new Database(join(dir, 'dashboard.sqlite'));
    v1.pragma('user_version = 1');
    v1.close();
    const store = openBatchStore(dir);
    try {
      // Changes of before cannot be told as a delta: a tab at any revision of before loads afresh.
      expect(store.liveRevision('b1')).toEqual({ revision: 4, base_rev: 4 });
      store.addJobs('b1', ['job-2'], 2000);
      expect(store.liveRevision('b1')).toEqual({ revision: 5, base_rev: 4 });
      expect(store.changedJobs('b1', 4).map((j) => j.id)).toEqual(['job-2']);
    } finally {
      store.close();
    }
  });

  it('opens a data folder at version 4 (before spooled submissions, migration 5): its jobs and kept copies unchanged, the queue empty', async () => {
    const dir = await dataDir();
    const db = new Database(join(dir, 'dashboard.sqlite'));
    migrate(db, MIGRATIONS.slice(0, 4), 'dashboard');
    db.prepare("INSERT INTO batches (id, name, created_at, revision) VALUES ('b1', 'Version 4', 1000, 2)").run();
    db.prepare("INSERT INTO jobs (id, state, added_at, percent, kept_at, kept_until, kept_bytes) VALUES ('job-1', 'Succeeded', 1000, 100, 1500, 9000, 42)").run();
    db.prepare("INSERT INTO batch_jobs (batch_id, job_id, added_at) VALUES ('b1', 'job-1', 1000)").run();
    expect(db.pragma('user_version', { simple: true })).toBe(4);
    db.close();
    const store = openBatchStore(dir);
    try {
      const [job] = store.batchJobs('b1');
      expect(job).toMatchObject({ id: 'job-1', state: 'Succeeded', kept_at: 1500, kept_bytes: 42, submission_id: null, sub_attempt: null });
      expect(store.db.prepare('SELECT count(*) FROM submissions').pluck().get()).toBe(0);
      expect(store.summary('b1')).toMatchObject({ count_Succeeded: 1, count_Waiting: 0, count_InDoubt: 0 });
    } finally {
      store.close();
    }
  });
  it('opens a data folder at version 5 with the kept bytes already summed (migration 6), and the total follows every change of a kept copy', async () => {
    const dir = await dataDir();
    const db = new Database(join(dir, 'dashboard.sqlite'));
    migrate(db, MIGRATIONS.slice(0, 5), 'dashboard');
    const insert = db.prepare('INSERT INTO jobs (id, state, added_at, percent, kept_at, kept_until, kept_bytes) VALUES (?, ?, 1000, 100, ?, ?, ?)');
    insert.run('kept-1', 'Succeeded', 1500, 9000, 40);
    insert.run('kept-2', 'Succeeded', 1500, 9000, 2);
    // A copy that was given up: its bytes stay in the row but no longer count.
    insert.run('forgotten', 'Succeeded', null, null, 1000);
    db.close();
    const store = openBatchStore(dir);
    const summed = () => store.db.prepare('SELECT coalesce(sum(kept_bytes), 0) FROM jobs WHERE kept_at IS NOT NULL').pluck().get();
    try {
      expect(store.keptBytesTotal()).toBe(42);
      const copy = { at: 2000, until: 9000, type: null, disposition: null };
      store.db.prepare("INSERT INTO jobs (id, added_at) VALUES ('new', 1000)").run();
      store.recordKept('new', { ...copy, bytes: 100 });
      expect(store.keptBytesTotal()).toBe(142);
      // Kept again (a fresh copy of another size) replaces the bytes, not adds them.
      store.recordKept('new', { ...copy, bytes: 7 });
      expect(store.keptBytesTotal()).toBe(49);
      store.forgetKept('kept-1');
      expect(store.keptBytesTotal()).toBe(9);
      store.db.prepare("DELETE FROM jobs WHERE id = 'kept-2'").run();
      expect(store.keptBytesTotal()).toBe(7);
      store.recordKept('forgotten', { ...copy, bytes: 3 });
      expect(store.keptBytesTotal()).toBe(10);
      expect(store.keptBytesTotal()).toBe(summed());
    } finally {
      store.close();
    }
  });

  it('opens a data folder at version 7 with its submissions keyless (migration 8), and a key then names one file per batch', async () => {
    const dir = await dataDir();
    const db = new Database(join(dir, 'dashboard.sqlite'));
    migrate(db, MIGRATIONS.slice(0, 7), 'dashboard');
    db.prepare("INSERT INTO batches (id, name, created_at) VALUES ('b1', 'Version 7', 1000)").run();
    const old = db.prepare(
      `INSERT INTO submissions (id, batch_id, file_name, target_format, bytes, source_path, state, created_at, queued_at)
       VALUES (?, 'b1', 'a.png', 'jpg', 10, ?, 'waiting', 1000, 1000)`,
    );
    old.run('sub_1', 'sub_1');
    old.run('sub_2', 'sub_2');
    db.close();
    const store = openBatchStore(dir);
    try {
      const rows = store.db.prepare('SELECT id, upload_key, state FROM submissions ORDER BY id').all();
      expect(rows).toEqual([
        { id: 'sub_1', upload_key: null, state: 'waiting' },
        { id: 'sub_2', upload_key: null, state: 'waiting' },
      ]);
      const key = store.db.prepare('UPDATE submissions SET upload_key = ? WHERE id = ?');
      key.run('key-00000001', 'sub_1');
      expect(() => key.run('key-00000001', 'sub_2')).toThrow(/UNIQUE/);
    } finally {
      store.close();
    }
  });
});
