// @vitest-environment node
import Database from 'better-sqlite3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { latestVersion } from '../../contract/sqlite-migrations.ts';
import { JobStore, MIGRATIONS } from '../store.ts';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('Convert service store migrations', () => {
  it('opens a jobs database from before migrations with its jobs intact, at the newest version', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'convert-migrations-'));
    dirs.push(dir);
    const file = join(dir, 'jobs.sqlite');
    const old = new Database(file);
    const baseline = MIGRATIONS[0].up;
    if (typeof baseline !== 'string') throw new Error('migration 1 is the old schema as SQL');
    old.exec(baseline);
    old
      .prepare(
        `INSERT INTO jobs (id, account, status, converter_id, source_format, target_format, stem, options, input_bytes, credit_cost, created_at)
         VALUES ('job-1', 'acct', 'Queued', 'image:png->webp', 'png', 'webp', 'photo', '{}', 1234, 1, 1000)`,
      )
      .run();
    old.close();

    const store = new JobStore(file);
    try {
      expect(store.get('job-1')).toMatchObject({ status: 'Queued', stem: 'photo', inputBytes: 1234 });
    } finally {
      store.close();
    }
    const db = new Database(file, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(latestVersion(MIGRATIONS));
    db.close();
  });
});
