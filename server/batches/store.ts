/**
 * The batch store (SQLite, WAL): batches, the jobs they list, and what was observed of each job.
 *
 * Observations belong to the job, not to a batch: one job id may be listed in several batches, and it is
 * polled once. `batch_jobs` links the two. Times are integers (ms since the epoch, server clock).
 * Each batch has a `revision` that goes up whenever anything a snapshot shows changes, which makes ETags and
 * snapshot caching exact and cheap.
 */
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Problem } from '../../contract/errors.ts';
import type { JobStatusResponse } from '../../contract/job.ts';
import { isTerminal } from '../../contract/status.ts';
import { MEASURED_STATES, POLLED_STATES, TRACKED_STATES, type TrackedState } from '../../contract/tracked-state.ts';
import { migrate, type Migration } from '../../contract/sqlite-migrations.ts';
import { startCheckpointer } from './checkpointer.ts';
import type { Slicer } from './slicer.ts';

export interface BatchRow {
  id: string;
  name: string;
  created_at: number;
  revision: number;
  /** The batch's "Keep outputs" switch (server/outputs). */
  keep_outputs: 0 | 1;
}

export interface JobRow {
  id: string;
  state: TrackedState;
  file_name: string | null;
  target_format: string | null;
  added_at: number;
  submitted_at: number | null;
  last_json: string | null;
  last_checked_at: number | null;
  last_seen_active_at: number | null;
  first_seen_terminal_at: number | null;
  downloaded_at: number | null;
  deleted_at: number | null;
  output_expired: 0 | 1;
  has_output: 0 | 1;
  problem_json: string | null;
  percent: number;
  input_bytes: number;
  output_bytes: number;
  credits: number;
  version: number;
  /** The spooled upload this row comes from (server/submissions), or null for pasted ids. */
  submission_id: string | null;
  /** Joined from `submissions` (null without one). */
  sub_attempt: number | null;
  sub_history: string | null;
  sub_source: 0 | 1 | null;
  /** A complete copy of the output is in DATA_DIR/outputs (server/outputs); null while there is none. */
  kept_at: number | null;
  /** When the copy is deleted (KEEP_OUTPUTS_DAYS after it was kept, as configured then). */
  kept_until: number | null;
  kept_bytes: number | null;
  /** The upstream's Content-Type and Content-Disposition of the kept copy, served with it. */
  kept_type: string | null;
  kept_disposition: string | null;
  keep_problem: 'disk_full' | 'failed' | null;
}

/** A job row with when the history first saw it running (job_observed; the snapshot's `firstSeenRunningAt`). */
export type ObservedJobRow = JobRow & { first_running_at?: number | null };

/** A job row as listed in one batch (`link_added_at`: when it joined this batch). */
export type BatchJobRow = ObservedJobRow & { link_added_at: number };

export type SummaryRow = BatchRow & { [S in TrackedState as `count_${S}`]: number } & {
  job_count: number;
  expired: number;
  outputs_ready: number;
  percent_sum: number;
  /** Jobs that count towards progress (see STATE_INFO). */
  measured: number;
  input_bytes: number;
  output_bytes: number;
  credits: number;
};

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** `('A', 'B')`: a set of states as an SQL list, from the one table of states rather than spelled out here. */
export function sqlStates(states: readonly TrackedState[]): string {
  return `(${states.map(sqlString).join(', ')})`;
}

/**
 * The schema's history, oldest first (see contract/sqlite-migrations.ts). Append a migration to change it;
 * never edit one that has shipped. Each has a test that opens a data folder of the version before it.
 */
/**
 * What one job adds to its batch's row of `batch_state_totals` (migration 7), per column, as SQL over the job row
 * `j` (an alias, NEW or OLD). The triggers add and take away exactly these, so the totals equal the aggregate.
 */
const JOB_TOTALS: readonly (readonly [column: string, value: (j: string) => string])[] = [
  ['n', () => '1'],
  ['expired', (j) => `${j}.output_expired = 1`],
  ['outputs_ready', (j) => `(${j}.has_output = 1 AND ${j}.output_expired = 0) OR ${j}.kept_at IS NOT NULL`],
  ['percent_milli', (j) => `CAST(round(${j}.percent * 1000) AS INTEGER)`],
  ['input_bytes', (j) => `${j}.input_bytes`],
  ['output_bytes', (j) => `${j}.output_bytes`],
  ['credits_micro', (j) => `CAST(round(${j}.credits * 1000000) AS INTEGER)`],
  ['disk_full', (j) => `${j}.keep_problem IS 'disk_full'`],
];

/** Adds job `j` to the totals of batch `batchId` (SQL expressions), read `from` the trigger's rows. */
function addJobToTotals(j: string, batchId: string, from: string): string {
  const columns = JOB_TOTALS.map(([column]) => column);
  return `INSERT INTO batch_state_totals (batch_id, state, ${columns.join(', ')})
      SELECT ${batchId}, ${j}.state, ${JOB_TOTALS.map(([, value]) => value(j)).join(', ')}
      ${from}
      ON CONFLICT (batch_id, state) DO UPDATE SET ${columns.map((c) => `${c} = ${c} + excluded.${c}`).join(', ')};`;
}

/** Takes job `j` out of the totals of the batches `inBatches` selects, in the job's state. */
function takeJobFromTotals(j: string, from: string, inBatches: string): string {
  const sets = JOB_TOTALS.map(([column, value]) => `${column} = batch_state_totals.${column} - (${value(j)})`);
  return `UPDATE batch_state_totals SET ${sets.join(', ')}
      ${from}
      WHERE ${inBatches} AND batch_state_totals.state = ${j}.state;`;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'the schema before numbered migrations',
    up: `
    CREATE TABLE IF NOT EXISTS batches (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      revision INTEGER NOT NULL DEFAULT 1
    );
    CREATE TABLE IF NOT EXISTS jobs (
      id TEXT PRIMARY KEY,
      state TEXT NOT NULL DEFAULT 'Unknown',
      file_name TEXT,
      target_format TEXT,
      added_at INTEGER NOT NULL,
      submitted_at INTEGER,
      last_json TEXT,
      last_checked_at INTEGER,
      last_seen_active_at INTEGER,
      first_seen_terminal_at INTEGER,
      downloaded_at INTEGER,
      deleted_at INTEGER,
      output_expired INTEGER NOT NULL DEFAULT 0,
      has_output INTEGER NOT NULL DEFAULT 0,
      problem_json TEXT,
      -- denormalised from last_json so that the batch list is one aggregate query
      percent REAL NOT NULL DEFAULT 0,
      input_bytes INTEGER NOT NULL DEFAULT 0,
      output_bytes INTEGER NOT NULL DEFAULT 0,
      credits REAL NOT NULL DEFAULT 0,
      -- goes up on every change of the row: snapshots re-serialise only the jobs whose version moved
      version INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state);
    CREATE TABLE IF NOT EXISTS batch_jobs (
      batch_id TEXT NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
      job_id TEXT NOT NULL REFERENCES jobs(id),
      added_at INTEGER NOT NULL,
      UNIQUE (batch_id, job_id)
    );
    -- (batch_id) entries are ordered by rowid within a batch: a snapshot reads in insertion order without sorting.
    CREATE INDEX IF NOT EXISTS batch_jobs_batch ON batch_jobs(batch_id);
    CREATE INDEX IF NOT EXISTS batch_jobs_job ON batch_jobs(job_id);
    `,
  },
  {
    version: 2,
    name: 'revision of each link\'s last change, and of a batch\'s last removal (deltas for live tabs)',
    // changed_rev: the batch revision at which the job last changed in this batch, so "what changed since N" is
    // one indexed range. base_rev: the latest revision that removed jobs; a delta cannot express a removal, so a
    // tab behind it loads afresh. Existing links keep 0, and each batch's base is its current revision: no
    // change of before can be told as a delta.
    up: `
    ALTER TABLE batch_jobs ADD COLUMN changed_rev INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE batches ADD COLUMN base_rev INTEGER NOT NULL DEFAULT 0;
    UPDATE batches SET base_rev = revision;
    CREATE INDEX batch_jobs_changed ON batch_jobs(batch_id, changed_rev);
    `,
  },
  {
    version: 3,
    name: 'history: counts by state over time per batch, observed times per job (server/history)',
    up: `
    -- One point whenever a batch's counts change; server/history/downsample.ts thins old points out.
    CREATE TABLE batch_history (
      batch_id TEXT NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
      at INTEGER NOT NULL,
      -- JSON object of the non-zero counts by state: states added later need no new column
      counts TEXT NOT NULL,
      PRIMARY KEY (batch_id, at)
    ) WITHOUT ROWID;
    -- What the status answers do not say and only observation can: when a job started running, when its
    -- progress last moved (stall rule).
    CREATE TABLE job_observed (
      job_id TEXT PRIMARY KEY,
      first_running_at INTEGER,
      -- a hash of percent and phase while running, null once finished
      progress_key INTEGER,
      progress_changed_at INTEGER
    ) WITHOUT ROWID;
    `,
  },
  {
    version: 4,
    name: 'kept outputs: the batch switch and each job\'s kept copy',
    up: `
    ALTER TABLE batches ADD COLUMN keep_outputs INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE jobs ADD COLUMN kept_at INTEGER;
    ALTER TABLE jobs ADD COLUMN kept_until INTEGER;
    ALTER TABLE jobs ADD COLUMN kept_bytes INTEGER;
    ALTER TABLE jobs ADD COLUMN kept_type TEXT;
    ALTER TABLE jobs ADD COLUMN kept_disposition TEXT;
    ALTER TABLE jobs ADD COLUMN keep_problem TEXT;
    CREATE INDEX jobs_kept ON jobs(kept_at) WHERE kept_at IS NOT NULL;
    `,
  },
  {
    version: 5,
    name: 'spooled submissions (server/submissions): the queue, and rows that have no upstream job yet',
    up: `
    -- One spooled upload. While it has no upstream job its batch row is a jobs row whose id is this id
    -- (state Waiting, Sending or InDoubt); the accepted job then takes that row's place in batch_jobs.
    CREATE TABLE submissions (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      batch_id TEXT NOT NULL,
      file_name TEXT NOT NULL,
      target_format TEXT NOT NULL,
      options_json TEXT,
      bytes INTEGER NOT NULL,
      -- file name under DATA_DIR/spool; null once the source is deleted
      source_path TEXT,
      -- waiting | sending | in_doubt | sent | refused
      state TEXT NOT NULL,
      job_id TEXT,
      attempt INTEGER NOT NULL DEFAULT 1,
      history_json TEXT NOT NULL DEFAULT '[]',
      created_at INTEGER NOT NULL,
      -- the feeder sends in this order (a retry goes to the back of the queue)
      queued_at INTEGER NOT NULL
    );
    CREATE INDEX submissions_state ON submissions(state, queued_at, seq);
    CREATE INDEX submissions_job ON submissions(job_id);
    CREATE INDEX submissions_batch ON submissions(batch_id);
    ALTER TABLE jobs ADD COLUMN submission_id TEXT;
    `,
  },
  {
    version: 6,
    name: 'the kept bytes of all jobs as one running total, kept by triggers',
    up: `
    -- The keeper checks the disk budget before every copy it keeps: a sum over all kept jobs grew with the
    -- batch. The triggers keep the total whoever writes the columns (keeper, deletes, tests).
    CREATE TABLE kept_total (one INTEGER PRIMARY KEY CHECK (one = 1), bytes INTEGER NOT NULL);
    INSERT INTO kept_total (one, bytes) SELECT 1, coalesce(sum(kept_bytes), 0) FROM jobs WHERE kept_at IS NOT NULL;
    CREATE TRIGGER kept_total_insert AFTER INSERT ON jobs WHEN NEW.kept_at IS NOT NULL BEGIN
      UPDATE kept_total SET bytes = bytes + coalesce(NEW.kept_bytes, 0);
    END;
    CREATE TRIGGER kept_total_update AFTER UPDATE OF kept_at, kept_bytes ON jobs
    WHEN OLD.kept_at IS NOT NULL OR NEW.kept_at IS NOT NULL BEGIN
      UPDATE kept_total SET bytes = bytes
        - (CASE WHEN OLD.kept_at IS NOT NULL THEN coalesce(OLD.kept_bytes, 0) ELSE 0 END)
        + (CASE WHEN NEW.kept_at IS NOT NULL THEN coalesce(NEW.kept_bytes, 0) ELSE 0 END);
    END;
    CREATE TRIGGER kept_total_delete AFTER DELETE ON jobs WHEN OLD.kept_at IS NOT NULL BEGIN
      UPDATE kept_total SET bytes = bytes - coalesce(OLD.kept_bytes, 0);
    END;
    `,
  },
  {
    version: 7,
    name: 'per batch and state totals kept by triggers, so a batch\'s summary is a lookup, not a pass over its jobs',
    // A 100,000-job batch's aggregate took ~80 ms, and live tabs and the history asked for it several times a second.
    // Per (batch, state) rows keep the schema free of state names (a new state needs no migration); percent and
    // credits are summed as integers (milli, micro) so that adding and taking away never drifts. A job counts in
    // a batch exactly while both its row and its link exist, as the aggregate's join said.
    up: `
    CREATE TABLE batch_state_totals (
      batch_id TEXT NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
      state TEXT NOT NULL,
      n INTEGER NOT NULL DEFAULT 0,
      expired INTEGER NOT NULL DEFAULT 0,
      outputs_ready INTEGER NOT NULL DEFAULT 0,
      percent_milli INTEGER NOT NULL DEFAULT 0,
      input_bytes INTEGER NOT NULL DEFAULT 0,
      output_bytes INTEGER NOT NULL DEFAULT 0,
      credits_micro INTEGER NOT NULL DEFAULT 0,
      disk_full INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (batch_id, state)
    ) WITHOUT ROWID;
    INSERT INTO batch_state_totals (batch_id, state, n, expired, outputs_ready, percent_milli, input_bytes, output_bytes, credits_micro, disk_full)
      SELECT bj.batch_id, j.state, count(*), sum(j.output_expired = 1), sum((j.has_output = 1 AND j.output_expired = 0) OR j.kept_at IS NOT NULL),
        sum(CAST(round(j.percent * 1000) AS INTEGER)), sum(j.input_bytes), sum(j.output_bytes), sum(CAST(round(j.credits * 1000000) AS INTEGER)),
        sum(j.keep_problem IS 'disk_full')
      FROM batch_jobs bj JOIN jobs j ON j.id = bj.job_id JOIN batches b ON b.id = bj.batch_id GROUP BY bj.batch_id, j.state;
    CREATE TRIGGER batch_totals_link_added AFTER INSERT ON batch_jobs BEGIN
      ${addJobToTotals('j', 'NEW.batch_id', 'FROM jobs j WHERE j.id = NEW.job_id')}
    END;
    CREATE TRIGGER batch_totals_link_removed AFTER DELETE ON batch_jobs BEGIN
      ${takeJobFromTotals('j', 'FROM (SELECT * FROM jobs WHERE id = OLD.job_id) AS j', 'batch_state_totals.batch_id = OLD.batch_id')}
    END;
    CREATE TRIGGER batch_totals_link_moved AFTER UPDATE OF batch_id, job_id ON batch_jobs BEGIN
      ${takeJobFromTotals('j', 'FROM (SELECT * FROM jobs WHERE id = OLD.job_id) AS j', 'batch_state_totals.batch_id = OLD.batch_id')}
      ${addJobToTotals('j', 'NEW.batch_id', 'FROM jobs j WHERE j.id = NEW.job_id')}
    END;
    CREATE TRIGGER batch_totals_job_added AFTER INSERT ON jobs BEGIN
      ${addJobToTotals('NEW', 'bj.batch_id', 'FROM batch_jobs bj WHERE bj.job_id = NEW.id')}
    END;
    CREATE TRIGGER batch_totals_job_removed AFTER DELETE ON jobs BEGIN
      ${takeJobFromTotals('OLD', '', 'batch_state_totals.batch_id IN (SELECT batch_id FROM batch_jobs WHERE job_id = OLD.id)')}
    END;
    CREATE TRIGGER batch_totals_job_changed AFTER UPDATE OF state, has_output, output_expired, kept_at, percent, input_bytes, output_bytes, credits, keep_problem ON jobs
    WHEN OLD.state IS NOT NEW.state OR OLD.has_output IS NOT NEW.has_output OR OLD.output_expired IS NOT NEW.output_expired
      OR OLD.kept_at IS NOT NEW.kept_at OR OLD.percent IS NOT NEW.percent OR OLD.input_bytes IS NOT NEW.input_bytes
      OR OLD.output_bytes IS NOT NEW.output_bytes OR OLD.credits IS NOT NEW.credits OR OLD.keep_problem IS NOT NEW.keep_problem
    BEGIN
      ${takeJobFromTotals('OLD', '', 'batch_state_totals.batch_id IN (SELECT batch_id FROM batch_jobs WHERE job_id = OLD.id)')}
      ${addJobToTotals('NEW', 'bj.batch_id', 'FROM batch_jobs bj WHERE bj.job_id = NEW.id')}
    END;
    `,
  },
  {
    version: 8,
    name: 'the client\'s key of each upload, one file per key and batch (a repeated upload is not kept twice)',
    up: `
    ALTER TABLE submissions ADD COLUMN upload_key TEXT;
    CREATE UNIQUE INDEX submissions_upload_key ON submissions(batch_id, upload_key) WHERE upload_key IS NOT NULL;
    `,
  },
];

const SUBMISSION_COLUMNS = 's.attempt AS sub_attempt, s.history_json AS sub_history, (s.source_path IS NOT NULL) AS sub_source';
const SUBMISSION_JOIN = 'LEFT JOIN submissions s ON s.id = j.submission_id';
const OBSERVED_COLUMNS = 'o.first_running_at';
const OBSERVED_JOIN = 'LEFT JOIN job_observed o ON o.job_id = j.id';

const SUMMARY_SELECT = `
SELECT b.id, b.name, b.created_at, b.revision, b.keep_outputs,
  count(j.id) AS job_count,
${TRACKED_STATES.map((state) => `  coalesce(sum(j.state = ${sqlString(state)}), 0) AS "count_${state}",\n`).join('')}  coalesce(sum(j.state = 'Succeeded' AND j.output_expired = 1), 0) AS expired,
  coalesce(sum(j.state = 'Succeeded' AND ((j.has_output = 1 AND j.output_expired = 0) OR j.kept_at IS NOT NULL)), 0) AS outputs_ready,
  coalesce(sum(CASE WHEN j.state IN ${sqlStates(MEASURED_STATES)} THEN j.percent ELSE 0 END), 0) AS percent_sum,
  coalesce(sum(j.state IN ${sqlStates(MEASURED_STATES)}), 0) AS measured,
  coalesce(sum(j.input_bytes), 0) AS input_bytes,
  coalesce(sum(j.output_bytes), 0) AS output_bytes,
  coalesce(sum(j.credits), 0) AS credits
FROM batches b
LEFT JOIN batch_jobs bj ON bj.batch_id = b.id
LEFT JOIN jobs j ON j.id = bj.job_id`;

interface StateTotalsRow {
  batch_id: string;
  state: TrackedState;
  n: number;
  expired: number;
  outputs_ready: number;
  percent_milli: number;
  input_bytes: number;
  output_bytes: number;
  credits_micro: number;
  disk_full: number;
}

/** SUMMARY_SELECT's numbers from the per-state totals: the state-specific rules applied here, as it applies them. */
function summaryFromTotals(batch: BatchRow, rows: readonly StateTotalsRow[]): SummaryRow {
  const summary: Record<string, unknown> = { ...batch };
  for (const state of TRACKED_STATES) summary[`count_${state}`] = 0;
  let jobCount = 0, expired = 0, ready = 0, percentMilli = 0, measured = 0, input = 0, output = 0, creditsMicro = 0;
  for (const r of rows) {
    jobCount += r.n;
    summary[`count_${r.state}`] = ((summary[`count_${r.state}`] as number | undefined) ?? 0) + r.n;
    if (r.state === 'Succeeded') {
      expired += r.expired;
      ready += r.outputs_ready;
    }
    if (MEASURED_STATES.includes(r.state)) {
      percentMilli += r.percent_milli;
      measured += r.n;
    }
    input += r.input_bytes;
    output += r.output_bytes;
    creditsMicro += r.credits_micro;
  }
  Object.assign(summary, {
    job_count: jobCount, expired, outputs_ready: ready, percent_sum: percentMilli / 1000, measured,
    input_bytes: input, output_bytes: output, credits: creditsMicro / 1_000_000,
  });
  return summary as unknown as SummaryRow;
}

export function newBatchId(): string {
  return randomBytes(9).toString('base64url');
}

export type BatchStore = ReturnType<typeof openBatchStore>;

/** Caps on how many jobs the dashboard lists (MAX_JOBS_PER_BATCH, MAX_JOBS_TOTAL). */
export interface JobLimits {
  perBatch: number;
  /** Distinct jobs listed in any batch. */
  total: number;
}

/** An import would list more jobs than `JobLimits` allow; nothing was written. */
export class JobCapError extends Error {
  constructor(
    readonly scope: 'batch' | 'total',
    readonly limit: number,
    readonly wouldBe: number,
  ) {
    super(
      scope === 'batch'
        ? `A batch lists at most ${limit.toLocaleString('en')} jobs; this would make ${wouldBe.toLocaleString('en')}. Split the ids over several batches.`
        : `The dashboard lists at most ${limit.toLocaleString('en')} jobs in all its batches; this would make ${wouldBe.toLocaleString('en')}. Delete batches you no longer need, or split the ids.`,
    );
  }
}

/** The batch an import was for was deleted meanwhile; nothing was written. */
export class BatchGoneError extends Error {}

/** The data folder's database is held by another running dashboard. */
export class DataDirInUseError extends Error {}

/** The database file vanished (or another dashboard took the folder) while this one ran: nothing can be saved. */
export class StoreLostError extends Error {
  readonly code = 'STORE_LOST';
}

/** How often the data folder is checked for a vanished database or lock file. */
export const FOLDER_CHECK_MS = 1000;

function inUse(dataDir: string): DataDirInUseError {
  return new DataDirInUseError(
    `Another dashboard is using the data folder ${dataDir}. Stop it (Ctrl-C where it runs), or give this one its ` +
      'own folder with DATA_DIR.',
  );
}

/**
 * One dashboard per data folder, held by an exclusive lock on `dashboard.lock` (a tiny SQLite database: its
 * lock is the OS's, so it goes when its holder dies, even by kill -9). A file apart from the batch database, so
 * that deleting `dashboard.sqlite` does not free the folder. Deleting the lock file itself would (a new file,
 * a new lock): the holder notices within FOLDER_CHECK_MS and takes the new file's lock again.
 */
function lockFolder(dataDir: string): Database.Database {
  const lock = new Database(join(dataDir, 'dashboard.lock'), { timeout: 200 });
  try {
    lock.pragma('locking_mode = EXCLUSIVE');
    // The first write takes the exclusive lock, and EXCLUSIVE mode keeps it until the connection closes.
    lock.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL)');
    lock.prepare('DELETE FROM holder').run();
    lock.prepare('INSERT INTO holder (pid) VALUES (?)').run(process.pid);
    return lock;
  } catch (error) {
    lock.close();
    if ((error as { code?: unknown }).code === 'SQLITE_BUSY') throw inUse(dataDir);
    throw error;
  }
}

function fileId(path: string): string | null {
  try {
    const info = statSync(path);
    return `${info.dev}:${info.ino}`;
  } catch {
    return null;
  }
}

/**
 * Every statement's `run` (each write goes through one, whoever prepared it) first asks `check`, which throws
 * once the store is lost: a write is refused with a sentence instead of landing in a deleted file.
 */
function guardWrites(db: Database.Database, check: () => void): void {
  const prepare = db.prepare.bind(db);
  db.prepare = ((source: string) => {
    const statement = prepare(source);
    const run = statement.run.bind(statement);
    statement.run = ((...params: unknown[]) => {
      check();
      return run(...params);
    });
    return statement;
  }) as never;
}

export interface KeptCopy {
  at: number;
  until: number;
  bytes: number;
  type: string | null;
  disposition: string | null;
}

export interface BatchStoreOptions {
  /** The "Keep outputs" switch of new batches (KEEP_OUTPUTS_DEFAULT). */
  keepOutputsDefault?: boolean;
  /**
   * `inline`: SQLite's automatic checkpoint inside the commits on the event loop, as before the checkpoint
   * thread. Only bench:paste uses it, as its baseline.
   */
  checkpoints?: 'thread' | 'inline';
}

export function openBatchStore(dataDir: string, options: BatchStoreOptions = {}) {
  const keepOutputsDefault = (options.keepOutputsDefault ?? true) ? 1 : 0;
  mkdirSync(dataDir, { recursive: true });
  let lock = lockFolder(dataDir);
  const dbPath = join(dataDir, 'dashboard.sqlite');
  const lockPath = join(dataDir, 'dashboard.lock');
  // One dashboard per data folder is the lock file's job (a second one would track the same jobs again and start
  // a second bundled service on the same folder). The database itself is not held exclusively, so that the
  // checkpoint thread's connection can share it; only that thread opens it besides this connection.
  const db = new Database(dbPath, { timeout: 1000 });
  try {
    db.pragma('journal_mode = WAL');
  } catch (error) {
    db.close();
    lock.close();
    throw error;
  }
  db.pragma('synchronous = NORMAL');
  const inlineCheckpoints = options.checkpoints === 'inline';
  // Checkpoints run in a thread of their own (see checkpointer.ts), never inside a commit on the event loop.
  if (!inlineCheckpoints) db.pragma('wal_autocheckpoint = 0');
  db.pragma('foreign_keys = ON');
  migrate(db, MIGRATIONS, 'dashboard');

  let lost: string | null = null;
  const dbId = fileId(dbPath);
  let lockId = fileId(lockPath);
  const checkFolder = () => {
    const before = lost;
    if (!lost && fileId(dbPath) !== dbId) {
      lost =
        `The database file ${dbPath} was removed or replaced while the dashboard ran, so nothing more can be saved. ` +
        'Restart the dashboard (it opens the file at that path again, or starts an empty one).';
    }
    // The folder stays held while this process runs, lost database or not (its bundled service uses it too).
    if (lockId !== null && fileId(lockPath) !== lockId) {
      try {
        const next = lockFolder(dataDir);
        lock.close();
        lock = next;
        lockId = fileId(lockPath);
      } catch {
        lockId = null;
        lost ??= `Another dashboard took the data folder ${dataDir} while this one ran, so nothing more can be saved here. Stop one of them.`;
      }
    }
    if (lost && lost !== before) console.error(lost);
  };
  const checkpointer = inlineCheckpoints ? { stop() {} } : startCheckpointer(dbPath);
  const folderTimer = setInterval(checkFolder, FOLDER_CHECK_MS);
  folderTimer.unref();
  guardWrites(db, () => {
    if (lost) throw new StoreLostError(lost);
  });

  const q = {
    insertBatch: db.prepare<[string, string, number, number]>('INSERT INTO batches (id, name, created_at, keep_outputs) VALUES (?, ?, ?, ?)'),
    getBatch: db.prepare<[string], BatchRow>('SELECT id, name, created_at, revision, keep_outputs FROM batches WHERE id = ?'),
    renameBatch: db.prepare<[string, string]>('UPDATE batches SET name = ?, revision = revision + 1 WHERE id = ?'),
    deleteLinks: db.prepare<[string]>('DELETE FROM batch_jobs WHERE batch_id = ?'),
    deleteBatch: db.prepare<[string]>('DELETE FROM batches WHERE id = ?'),
    jobIdsOfBatch: db.prepare<[string], { job_id: string }>('SELECT job_id FROM batch_jobs WHERE batch_id = ?'),
    bumpBatch: db.prepare<[string]>('UPDATE batches SET revision = revision + 1 WHERE id = ?'),
    bumpBatchesOfJob: db.prepare<[string]>(
      'UPDATE batches SET revision = revision + 1 WHERE id IN (SELECT batch_id FROM batch_jobs WHERE job_id = ?)',
    ),
    stampJob: db.prepare<[string]>(
      'UPDATE batch_jobs SET changed_rev = (SELECT revision FROM batches b WHERE b.id = batch_jobs.batch_id) WHERE job_id = ?',
    ),
    stampLink: db.prepare<[string, string]>(
      'UPDATE batch_jobs SET changed_rev = (SELECT revision FROM batches b WHERE b.id = batch_jobs.batch_id) WHERE batch_id = ? AND job_id = ?',
    ),
    rebase: db.prepare<[string]>('UPDATE batches SET base_rev = revision WHERE id = ?'),
    liveRevision: db.prepare<[string], { revision: number; base_rev: number }>('SELECT revision, base_rev FROM batches WHERE id = ?'),
    changedCount: db
      .prepare<[string, number, number], number>(
        'SELECT count(*) FROM (SELECT 1 FROM batch_jobs WHERE batch_id = ? AND changed_rev > ? LIMIT ?)',
      )
      .pluck(),
    changedJobs: db.prepare<[string, number], BatchJobRow>(
      `SELECT j.*, ${SUBMISSION_COLUMNS}, bj.added_at AS link_added_at, ${OBSERVED_COLUMNS} FROM batch_jobs bj JOIN jobs j ON j.id = bj.job_id ${SUBMISSION_JOIN} ${OBSERVED_JOIN}
       WHERE bj.batch_id = ? AND bj.changed_rev > ? ORDER BY bj.rowid`,
    ),
    insertJob: db.prepare<[string, number]>('INSERT OR IGNORE INTO jobs (id, added_at) VALUES (?, ?)'),
    insertLink: db.prepare<[string, string, number]>(
      'INSERT OR IGNORE INTO batch_jobs (batch_id, job_id, added_at) VALUES (?, ?, ?)',
    ),
    deleteLink: db.prepare<[string, string]>('DELETE FROM batch_jobs WHERE batch_id = ? AND job_id = ?'),
    isLinked: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM batch_jobs WHERE job_id = ? LIMIT 1'),
    batchIdsOfJob: db.prepare<[string], { batch_id: string }>('SELECT batch_id FROM batch_jobs WHERE job_id = ?'),
    getJob: db.prepare<[string], ObservedJobRow>(
      `SELECT j.*, ${SUBMISSION_COLUMNS}, ${OBSERVED_COLUMNS} FROM jobs j ${SUBMISSION_JOIN} ${OBSERVED_JOIN} WHERE j.id = ?`,
    ),
    getBatchJob: db.prepare<[string, string], BatchJobRow>(
      `SELECT j.*, ${SUBMISSION_COLUMNS}, bj.added_at AS link_added_at, ${OBSERVED_COLUMNS} FROM batch_jobs bj JOIN jobs j ON j.id = bj.job_id ${SUBMISSION_JOIN} ${OBSERVED_JOIN} WHERE bj.batch_id = ? AND bj.job_id = ?`,
    ),
    batchJobVersions: db
      .prepare<[string], [string, number, number]>(
        'SELECT bj.job_id, j.version, bj.added_at FROM batch_jobs bj JOIN jobs j ON j.id = bj.job_id WHERE bj.batch_id = ? ORDER BY bj.rowid',
      )
      .raw(true),
    batchJobVersionPage: db
      .prepare<[string, number, number], [number, string, number, number]>(
        'SELECT bj.rowid, bj.job_id, j.version, bj.added_at FROM batch_jobs bj JOIN jobs j ON j.id = bj.job_id WHERE bj.batch_id = ? AND bj.rowid > ? ORDER BY bj.rowid LIMIT ?',
      )
      .raw(true),
    batchJobs: db.prepare<[string], BatchJobRow>(
      `SELECT j.*, ${SUBMISSION_COLUMNS}, bj.added_at AS link_added_at, ${OBSERVED_COLUMNS} FROM batch_jobs bj JOIN jobs j ON j.id = bj.job_id ${SUBMISSION_JOIN} ${OBSERVED_JOIN} WHERE bj.batch_id = ? ORDER BY bj.rowid`,
    ),
    submission: db.prepare<[string, string, number, number, number, number, string]>(
      `UPDATE jobs SET version = version + 1, file_name = ?, target_format = ?, submitted_at = ?, last_seen_active_at = ?, state = 'Queued',
         credits = ?, added_at = min(added_at, ?) WHERE id = ?`,
    ),
    status: db.prepare(
      `UPDATE jobs SET version = version + 1, state = @state, last_json = @last_json, last_checked_at = @checked,
         last_seen_active_at = CASE WHEN @active THEN max(coalesce(last_seen_active_at, 0), @sent) ELSE last_seen_active_at END,
         first_seen_terminal_at = CASE WHEN @terminal THEN coalesce(first_seen_terminal_at, @checked) ELSE first_seen_terminal_at END,
         output_expired = CASE WHEN @expired THEN 1 ELSE output_expired END,
         has_output = @has_output, problem_json = NULL, percent = @percent,
         input_bytes = @input_bytes, output_bytes = @output_bytes, credits = @credits
       WHERE id = @id AND (state IS NOT @state OR last_json IS NOT @last_json OR problem_json IS NOT NULL
         OR (@expired AND output_expired = 0) OR has_output IS NOT @has_output)`,
    ),
    // A poll that saw nothing new: its times are kept (the expiry window needs them), but the row's version and
    // its batches' revisions stay, so no tab has anything to fetch (the batch-level "checked at" says it was seen).
    quietStatus: db.prepare(
      `UPDATE jobs SET last_checked_at = @checked,
         last_seen_active_at = CASE WHEN @active THEN max(coalesce(last_seen_active_at, 0), @sent) ELSE last_seen_active_at END
       WHERE id = @id`,
    ),
    finalProblem: db.prepare<[string, string, number, string]>(
      `UPDATE jobs SET version = version + 1, state = ?, problem_json = ?, last_checked_at = ?, percent = 100, has_output = 0 WHERE id = ?`,
    ),
    problem: db.prepare<[string, number, string, string]>(
      'UPDATE jobs SET version = version + 1, problem_json = ?, last_checked_at = ? WHERE id = ? AND problem_json IS NOT ?',
    ),
    quietProblem: db.prepare<[number, string]>('UPDATE jobs SET last_checked_at = ? WHERE id = ?'),
    deleted: db.prepare<[number, string]>(
      `UPDATE jobs SET version = version + 1, state = 'Gone', deleted_at = ?, has_output = 0, percent = 100, problem_json = NULL WHERE id = ?`,
    ),
    outputExpired: db.prepare<[string]>('UPDATE jobs SET version = version + 1, output_expired = 1 WHERE id = ? AND output_expired = 0'),
    downloaded: db.prepare<[number, string]>('UPDATE jobs SET version = version + 1, downloaded_at = ? WHERE id = ?'),
    listBatches: db.prepare<[], BatchRow>('SELECT id, name, created_at, revision, keep_outputs FROM batches ORDER BY created_at DESC, rowid DESC'),
    summary: db.prepare<[string], SummaryRow>(`${SUMMARY_SELECT} WHERE b.id = ? GROUP BY b.id`),
    stateTotals: db.prepare<[string], StateTotalsRow>('SELECT * FROM batch_state_totals WHERE batch_id = ?'),
    activeJobsOfBatch: db
      .prepare<[string], string>(
        `SELECT j.id FROM batch_jobs bj JOIN jobs j ON j.id = bj.job_id
         WHERE bj.batch_id = ? AND j.state IN ${sqlStates(POLLED_STATES)}`,
      )
      .pluck(),
    outputsAwaitingExpiry: db
      .prepare<[], string>(
        `SELECT j.id FROM jobs j WHERE j.state = 'Succeeded' AND j.has_output = 1 AND j.output_expired = 0
         AND EXISTS (SELECT 1 FROM batch_jobs bj WHERE bj.job_id = j.id)`,
      )
      .pluck(),
    activeJobs: db.prepare<[], { id: string; since: number }>(
      `SELECT j.id, coalesce(j.submitted_at, j.added_at) AS since FROM jobs j
       WHERE j.state IN ${sqlStates(POLLED_STATES)} AND EXISTS (SELECT 1 FROM batch_jobs bj WHERE bj.job_id = j.id)`,
    ),
  };

  const bumpOfJob = (jobId: string) => {
    q.bumpBatchesOfJob.run(jobId);
    q.stampJob.run(jobId);
  };
  const countInBatch = db.prepare<[string], number>('SELECT count(*) FROM batch_jobs WHERE batch_id = ?').pluck();
  const isInBatch = db.prepare<[string, string], number>('SELECT 1 FROM batch_jobs WHERE batch_id = ? AND job_id = ?').pluck();

  const addJobs = db.transaction((batchId: string, ids: readonly string[], now: number) => {
    const added: string[] = [];
    for (const id of ids) {
      q.insertJob.run(id, now);
      if (q.insertLink.run(batchId, id, now).changes > 0) added.push(id);
    }
    if (added.length > 0) {
      q.bumpBatch.run(batchId);
      for (const id of added) q.stampLink.run(batchId, id);
    }
    return added;
  });

  const removeJobs = db.transaction((batchId: string, ids: readonly string[]) => {
    let removed = 0;
    const unlinked: string[] = [];
    for (const id of ids) {
      if (q.deleteLink.run(batchId, id).changes > 0) {
        removed++;
        if (!q.isLinked.get(id)) unlinked.push(id);
      }
    }
    if (removed > 0) {
      q.bumpBatch.run(batchId);
      q.rebase.run(batchId);
    }
    return { removed, unlinked };
  });

  const deleteBatch = db.transaction((batchId: string) => {
    const ids = q.jobIdsOfBatch.all(batchId).map((r) => r.job_id);
    q.deleteLinks.run(batchId);
    const deleted = q.deleteBatch.run(batchId).changes > 0;
    return { deleted, unlinked: ids.filter((id) => !q.isLinked.get(id)) };
  });

  const recordSubmission = db.transaction(
    (batchId: string, jobId: string, s: { fileName: string; targetFormat: string; at: number; creditCost: number }) => {
      q.insertJob.run(jobId, s.at);
      // The batch may have been deleted while the file was uploading: the job is still recorded.
      if (q.getBatch.get(batchId)) q.insertLink.run(batchId, jobId, s.at);
      // At the 202 the job is Queued: submission time is a moment it was seen active.
      q.submission.run(s.fileName, s.targetFormat, s.at, s.at, s.creditCost, s.at, jobId);
      bumpOfJob(jobId);
    },
  );

  const recordStatus = db.transaction((jobId: string, body: JobStatusResponse, sentAt: number, receivedAt: number) => {
    const terminal = isTerminal(body.status);
    const succeeded = body.status === 'Succeeded';
    const last = { progress: body.progress ?? null, metrics: body.metrics ?? null, error: body.error ?? null, output: body.output ?? null };
    const percent = terminal ? 100 : clampPercent(body.progress?.percent);
    const params = {
      id: jobId,
      state: body.status,
      last_json: JSON.stringify(last),
      checked: receivedAt,
      // A status answer was true at some instant between sending and receiving: for the expiry window the
      // conservative choices are "active at send time" and "terminal by receive time".
      sent: sentAt,
      active: terminal ? 0 : 1,
      terminal: terminal ? 1 : 0,
      expired: succeeded && !body.output ? 1 : 0,
      has_output: succeeded && body.output ? 1 : 0,
      percent,
      input_bytes: numberOr0(body.metrics?.inputBytes),
      output_bytes: numberOr0(body.metrics?.outputBytes),
      // Credits are refunded when a job fails.
      credits: body.status === 'Failed' ? 0 : numberOr0(body.metrics?.creditCost),
    };
    q.quietStatus.run({ id: jobId, checked: receivedAt, sent: sentAt, active: params.active });
    if (q.status.run(params).changes > 0) bumpOfJob(jobId);
  });

  const recordFinalProblem = db.transaction((jobId: string, state: 'Gone' | 'Forbidden', problem: Problem, at: number) => {
    if (q.finalProblem.run(state, JSON.stringify(problem), at, jobId).changes > 0) bumpOfJob(jobId);
  });
  const recordProblem = db.transaction((jobId: string, problem: Problem, at: number) => {
    q.quietProblem.run(at, jobId);
    const text = JSON.stringify(problem);
    if (q.problem.run(text, at, jobId, text).changes > 0) bumpOfJob(jobId);
  });
  const markDeleted = db.transaction((jobId: string, at: number) => {
    if (q.deleted.run(at, jobId).changes > 0) bumpOfJob(jobId);
  });
  const markOutputExpired = db.transaction((jobId: string) => {
    if (q.outputExpired.run(jobId).changes > 0) bumpOfJob(jobId);
  });
  const markDownloaded = db.transaction((jobId: string, at: number) => {
    if (q.downloaded.run(at, jobId).changes > 0) bumpOfJob(jobId);
  });

  // Kept outputs (server/outputs): which jobs to keep, and the record of each kept copy.
  const WANTS_KEEP = `j.state = 'Succeeded' AND j.has_output = 1 AND j.output_expired = 0 AND j.kept_at IS NULL
    AND j.keep_problem IS NULL AND j.deleted_at IS NULL
    AND EXISTS (SELECT 1 FROM batch_jobs bj JOIN batches b ON b.id = bj.batch_id WHERE bj.job_id = j.id AND b.keep_outputs = 1)`;
  const k = {
    setKeep: db.prepare<[number, string]>('UPDATE batches SET keep_outputs = ?, revision = revision + 1 WHERE id = ?'),
    candidates: db.prepare<[], string>(`SELECT j.id FROM jobs j WHERE ${WANTS_KEEP}`).pluck(),
    candidatesOfBatch: db.prepare<[string], string>(
      `SELECT j.id FROM batch_jobs x JOIN jobs j ON j.id = x.job_id WHERE x.batch_id = ? AND ${WANTS_KEEP}`,
    ).pluck(),
    wantsKeep: db.prepare<[string], number>(`SELECT 1 FROM jobs j WHERE j.id = ? AND ${WANTS_KEEP}`).pluck(),
    kept: db.prepare<[number, number, number, string | null, string | null, string]>(
      'UPDATE jobs SET version = version + 1, kept_at = ?, kept_until = ?, kept_bytes = ?, kept_type = ?, kept_disposition = ?, keep_problem = NULL WHERE id = ?',
    ),
    problem: db.prepare<[string, string]>('UPDATE jobs SET version = version + 1, keep_problem = ? WHERE id = ? AND kept_at IS NULL'),
    clearProblems: db.prepare<[string]>('UPDATE jobs SET version = version + 1, keep_problem = NULL WHERE keep_problem = ?'),
    forget: db.prepare<[string]>(
      'UPDATE jobs SET version = version + 1, kept_at = NULL, kept_until = NULL, kept_bytes = NULL, kept_type = NULL, kept_disposition = NULL WHERE id = ? AND kept_at IS NOT NULL',
    ),
    totalBytes: db.prepare<[], number>('SELECT bytes FROM kept_total').pluck(),
    keptIds: db.prepare<[], string>('SELECT id FROM jobs WHERE kept_at IS NOT NULL').pluck(),
    keptUntilBefore: db.prepare<[number], string>('SELECT id FROM jobs WHERE kept_at IS NOT NULL AND kept_until <= ?').pluck(),
    keptUnlisted: db.prepare<[], string>(
      'SELECT j.id FROM jobs j WHERE j.kept_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM batch_jobs bj WHERE bj.job_id = j.id)',
    ).pluck(),
  };
  const recordKept = db.transaction((jobId: string, copy: KeptCopy) => {
    if (k.kept.run(copy.at, copy.until, copy.bytes, copy.type, copy.disposition, jobId).changes > 0) bumpOfJob(jobId);
  });
  const recordKeepProblem = db.transaction((jobId: string, problem: 'disk_full' | 'failed') => {
    if (k.problem.run(problem, jobId).changes > 0) bumpOfJob(jobId);
  });
  const forgetKept = db.transaction((jobId: string) => {
    if (k.forget.run(jobId).changes > 0) bumpOfJob(jobId);
  });
  const clearKeepProblems = db.transaction((problem: 'disk_full' | 'failed') => {
    const ids = db.prepare<[string], string>('SELECT id FROM jobs WHERE keep_problem = ?').pluck().all(problem);
    k.clearProblems.run(problem);
    for (const id of ids) bumpOfJob(id);
    return ids;
  });

  // Every status GET through the proxy asks whether a batch lists the job; most scripts' jobs are in none.
  // A set answers that without touching SQLite; it changes only where links are made or removed below.
  const listed = new Set<string>(db.prepare<[], string>('SELECT DISTINCT job_id FROM batch_jobs').pluck().all());
  const unlist = (ids: readonly string[]) => {
    for (const id of ids) listed.delete(id);
  };

  /**
   * A paste of 150,000 ids costs seconds of inserts: they run in slices (the caller's `Slicer` yields to the
   * event loop between them) inside ONE transaction, so a failure (a full disk) leaves nothing behind, not an
   * empty or half-filled batch. The caps are checked before anything is written. Imports run one at a time.
   * The connection is shared: what the tracker records between two slices joins this transaction (SQLite
   * nests it as a savepoint) and is committed with it.
   */
  async function importJobs(
    target: { batchId: string } | { name: string },
    ids: readonly string[],
    now: number,
    limits: JobLimits,
    slicer: Slicer,
  ): Promise<{ batch: BatchRow; added: string[] }> {
    const existing = 'batchId' in target ? target.batchId : null;
    if (ids.length > limits.perBatch) throw new JobCapError('batch', limits.perBatch, ids.length);
    let alreadyInBatch = 0;
    let unlisted = 0;
    for (const id of ids) {
      if (existing !== null && isInBatch.get(existing, id)) alreadyInBatch++;
      if (!listed.has(id)) unlisted++;
      await slicer.tick();
    }
    const inBatch = (existing === null ? 0 : countInBatch.get(existing)!) + ids.length - alreadyInBatch;
    if (inBatch > limits.perBatch) throw new JobCapError('batch', limits.perBatch, inBatch);
    if (listed.size + unlisted > limits.total) throw new JobCapError('total', limits.total, listed.size + unlisted);

    db.exec('BEGIN IMMEDIATE');
    try {
      let batchId: string;
      if (existing === null) {
        batchId = newBatchId();
        q.insertBatch.run(batchId, (target as { name: string }).name, now, keepOutputsDefault);
      } else {
        if (!q.getBatch.get(existing)) throw new BatchGoneError(`No batch with id "${existing}".`);
        batchId = existing;
      }
      const added: string[] = [];
      for (const id of ids) {
        q.insertJob.run(id, now);
        if (q.insertLink.run(batchId, id, now).changes > 0) added.push(id);
        await slicer.tick();
      }
      if (added.length > 0) {
        q.bumpBatch.run(batchId);
        for (const id of added) {
          q.stampLink.run(batchId, id);
          await slicer.tick();
        }
      }
      db.exec('COMMIT');
      // 150,000 set entries are tens of ms in one go: sliced too (imports run one at a time, so no cap check
      // reads the set meanwhile; a status GET that misses a job here just does not record it for a moment).
      for (const id of added) {
        listed.add(id);
        await slicer.tick();
      }
      return { batch: q.getBatch.get(batchId)!, added };
    } catch (error) {
      // SQLite may have rolled back already (SQLITE_FULL can do that).
      if (db.inTransaction) db.exec('ROLLBACK');
      throw error;
    }
  }
  let importing: Promise<unknown> = Promise.resolve();

  return {
    /** The connection, for modules that own tables of their own (server/history, server/submissions) and for tests (e.g. provoking SQLITE_FULL); everything else goes through the functions below. */
    db,
    /** Null while the database file is there and the folder ours; else the sentence saying what happened. */
    lostReason: (): string | null => {
      checkFolder();
      return lost;
    },
    /** See `importJobs` above: creates the batch (`{name}`) or adds to it (`{batchId}`), in one transaction. */
    importJobs(...args: Parameters<typeof importJobs>): Promise<{ batch: BatchRow; added: string[] }> {
      const run = importing.then(() => importJobs(...args));
      importing = run.catch(() => {});
      return run;
    },
    createBatch(name: string, now: number): BatchRow {
      const id = newBatchId();
      q.insertBatch.run(id, name, now, keepOutputsDefault);
      return q.getBatch.get(id)!;
    },
    getBatch: (id: string): BatchRow | undefined => q.getBatch.get(id),
    renameBatch: (id: string, name: string): boolean => q.renameBatch.run(name, id).changes > 0,
    /** Returns the job ids no longer listed in any batch (to stop tracking them). */
    deleteBatch: (id: string): { deleted: boolean; unlinked: string[] } => {
      const result = deleteBatch(id);
      unlist(result.unlinked);
      return result;
    },
    /** Ids must be canonical. Returns the ids newly listed in this batch, in order. */
    addJobs: (batchId: string, ids: readonly string[], now: number): string[] => {
      const added = addJobs(batchId, ids, now);
      for (const id of added) listed.add(id);
      return added;
    },
    removeJobs: (batchId: string, ids: readonly string[]) => {
      const result = removeJobs(batchId, ids);
      unlist(result.unlinked);
      return result;
    },
    recordSubmission: (batchId: string, jobId: string, s: { fileName: string; targetFormat: string; at: number; creditCost: number }) => {
      recordSubmission(batchId, jobId, s);
      if (q.isLinked.get(jobId)) listed.add(jobId);
    },
    recordStatus: (jobId: string, body: JobStatusResponse, sentAt: number, receivedAt: number) =>
      recordStatus(jobId, body, sentAt, receivedAt),
    recordGone: (jobId: string, problem: Problem, at: number) => recordFinalProblem(jobId, 'Gone', problem, at),
    recordForbidden: (jobId: string, problem: Problem, at: number) => recordFinalProblem(jobId, 'Forbidden', problem, at),
    recordProblem: (jobId: string, problem: Problem, at: number) => recordProblem(jobId, problem, at),
    markDeleted: (jobId: string, at: number) => markDeleted(jobId, at),
    markOutputExpired: (jobId: string) => markOutputExpired(jobId),
    markDownloaded: (jobId: string, at: number) => markDownloaded(jobId, at),
    getJob: (jobId: string): ObservedJobRow | undefined => q.getJob.get(jobId),
    getBatchJob: (batchId: string, jobId: string): BatchJobRow | undefined => q.getBatchJob.get(batchId, jobId),
    batchIdsOfJob: (jobId: string): string[] => q.batchIdsOfJob.all(jobId).map((r) => r.batch_id),
    isListed: (jobId: string): boolean => listed.has(jobId),
    /** The batch's jobs in the order they were added. */
    batchJobs: (batchId: string): BatchJobRow[] => q.batchJobs.all(batchId),
    /** `[jobId, version, linkAddedAt]` of the batch's jobs in order: cheap, to find what changed since last time. */
    batchJobVersions: (batchId: string): [string, number, number][] => q.batchJobVersions.all(batchId),
    /** `[link rowid, job id, version, added at]` of up to `limit` links after `afterRowid`, in the batch's order. */
    batchJobVersionPage: (batchId: string, afterRowid: number, limit: number): [number, string, number, number][] =>
      q.batchJobVersionPage.all(batchId, afterRowid, limit),
    /** The batch's revision, and the latest one that removed jobs (a delta from before it cannot be told). */
    liveRevision: (batchId: string): { revision: number; base_rev: number } | undefined => q.liveRevision.get(batchId),
    /** How many of the batch's jobs changed after `revision`, counting no further than `limit`. */
    changedCount: (batchId: string, revision: number, limit: number): number => q.changedCount.get(batchId, revision, limit)!,
    /** The batch's jobs that changed after `revision` (added ones included), in the batch's order. */
    changedJobs: (batchId: string, revision: number): BatchJobRow[] => q.changedJobs.all(batchId, revision),
    /** Newest first. */
    listBatches: (): BatchRow[] => q.listBatches.all(),
    /** The batch's aggregate from the totals the triggers keep (migration 7): a lookup of a few rows. */
    summary: (batchId: string): SummaryRow | undefined => {
      const batch = q.getBatch.get(batchId);
      return batch && summaryFromTotals(batch, q.stateTotals.all(batchId));
    },
    /** The same aggregate as a pass over the batch's jobs: what the totals must always equal (tests). */
    summaryByScan: (batchId: string): SummaryRow | undefined => q.summary.get(batchId),
    /** Jobs of the batch by state (non-zero only), from the kept totals. */
    stateCounts: (batchId: string): { state: TrackedState; n: number }[] =>
      q.stateTotals.all(batchId).filter((r) => r.n > 0).map((r) => ({ state: r.state, n: r.n })),
    activeJobIdsOfBatch: (batchId: string): string[] => q.activeJobsOfBatch.all(batchId),
    /** Jobs still to be polled: not final, listed in at least one batch. */
    activeJobs: (): { id: string; since: number }[] => q.activeJobs.all(),
    /** Succeeded jobs, listed somewhere, whose output was last seen present. */
    outputsAwaitingExpiry: (): string[] => q.outputsAwaitingExpiry.all(),
    /** The batch's "Keep outputs" switch. */
    setKeepOutputs: (batchId: string, keep: boolean): boolean => k.setKeep.run(keep ? 1 : 0, batchId).changes > 0,
    /** Jobs whose output should be kept and is not yet: Succeeded, output present, listed in a batch that keeps. */
    keepCandidates: (batchId?: string): string[] => (batchId === undefined ? k.candidates.all() : k.candidatesOfBatch.all(batchId)),
    wantsKeep: (jobId: string): boolean => k.wantsKeep.get(jobId) !== undefined,
    /** Only once the copy is complete and in place: a row with `kept_at` is always a whole file. */
    recordKept: (jobId: string, copy: KeptCopy) => recordKept(jobId, copy),
    recordKeepProblem: (jobId: string, problem: 'disk_full' | 'failed') => recordKeepProblem(jobId, problem),
    /** Clears the problem from every job that has it; returns their ids (to try again). */
    clearKeepProblems: (problem: 'disk_full' | 'failed'): string[] => clearKeepProblems(problem),
    forgetKept: (jobId: string) => forgetKept(jobId),
    keptBytesTotal: (): number => k.totalBytes.get() ?? 0,
    keptJobIds: (): string[] => k.keptIds.all(),
    /** Kept copies whose time is up at `at`. */
    keptUntilBefore: (at: number): string[] => k.keptUntilBefore.all(at),
    /** Kept copies whose job no batch lists any more. */
    keptUnlisted: (): string[] => k.keptUnlisted.all(),
    skippedForSpace: (batchId: string): number => q.stateTotals.all(batchId).reduce((n, r) => n + r.disk_full, 0),
    close: () => {
      clearInterval(folderTimer);
      checkpointer.stop();
      db.close();
      lock.close();
    },
    /** server/submissions moved a row to another job id: keeps the proxy's "is it listed" answer true. */
    relink: (from: string, to: string) => {
      if (!q.isLinked.get(from)) listed.delete(from);
      if (q.isLinked.get(to)) listed.add(to);
    },
  };
}

function clampPercent(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.min(100, Math.max(0, value)) : 0;
}

function numberOr0(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}
