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
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { JobStatusResponse } from '../../contract/job.ts';
import { isTerminal } from '../../contract/status.ts';
import type { TrackedState } from '../../contract/dashboard-api.ts';
import { migrate, type Migration } from '../../contract/sqlite-migrations.ts';

export type Problem = { error: string; detail: string | null; status: number; [extra: string]: unknown };

export interface BatchRow {
  id: string;
  name: string;
  created_at: number;
  revision: number;
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
}

/** A job row as listed in one batch (`link_added_at`: when it joined this batch). */
export type BatchJobRow = JobRow & { link_added_at: number };

export interface SummaryRow extends BatchRow {
  job_count: number;
  queued: number;
  running: number;
  succeeded: number;
  failed: number;
  canceled: number;
  unknown: number;
  gone: number;
  forbidden: number;
  waiting: number;
  sending: number;
  in_doubt: number;
  outputs_ready: number;
  percent_sum: number;
  /** Jobs that count towards progress (not Gone or Forbidden). */
  measured: number;
  input_bytes: number;
  output_bytes: number;
  credits: number;
}

/** States the tracker no longer polls. */
export const FINAL_STATES: readonly TrackedState[] = ['Succeeded', 'Failed', 'Canceled', 'Gone', 'Forbidden'];

/**
 * The schema's history, oldest first (see contract/sqlite-migrations.ts). Append a migration to change it;
 * never edit one that has shipped. Each has a test that opens a data folder of the version before it.
 */
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
];

const SUBMISSION_COLUMNS = 's.attempt AS sub_attempt, s.history_json AS sub_history, (s.source_path IS NOT NULL) AS sub_source';
const SUBMISSION_JOIN = 'LEFT JOIN submissions s ON s.id = j.submission_id';

const SUMMARY_SELECT = `
SELECT b.id, b.name, b.created_at, b.revision,
  count(j.id) AS job_count,
  coalesce(sum(j.state = 'Queued'), 0) AS queued,
  coalesce(sum(j.state = 'Running'), 0) AS running,
  coalesce(sum(j.state = 'Succeeded'), 0) AS succeeded,
  coalesce(sum(j.state = 'Failed'), 0) AS failed,
  coalesce(sum(j.state = 'Canceled'), 0) AS canceled,
  coalesce(sum(j.state = 'Unknown'), 0) AS unknown,
  coalesce(sum(j.state = 'Gone'), 0) AS gone,
  coalesce(sum(j.state = 'Forbidden'), 0) AS forbidden,
  coalesce(sum(j.state = 'Waiting'), 0) AS waiting,
  coalesce(sum(j.state = 'Sending'), 0) AS sending,
  coalesce(sum(j.state = 'InDoubt'), 0) AS in_doubt,
  coalesce(sum(j.state = 'Succeeded' AND j.has_output = 1 AND j.output_expired = 0), 0) AS outputs_ready,
  coalesce(sum(CASE WHEN j.state IN ('Gone', 'Forbidden') THEN 0 ELSE j.percent END), 0) AS percent_sum,
  coalesce(sum(j.state NOT IN ('Gone', 'Forbidden')), 0) AS measured,
  coalesce(sum(j.input_bytes), 0) AS input_bytes,
  coalesce(sum(j.output_bytes), 0) AS output_bytes,
  coalesce(sum(j.credits), 0) AS credits
FROM batches b
LEFT JOIN batch_jobs bj ON bj.batch_id = b.id
LEFT JOIN jobs j ON j.id = bj.job_id`;

export function newBatchId(): string {
  return randomBytes(9).toString('base64url');
}

export type BatchStore = ReturnType<typeof openBatchStore>;

/** The data folder's database is held by another running dashboard. */
export class DataDirInUseError extends Error {}

export function openBatchStore(dataDir: string) {
  mkdirSync(dataDir, { recursive: true });
  // A short wait: only another process ever holds this database (see below), and then it holds it for good.
  const db = new Database(join(dataDir, 'dashboard.sqlite'), { timeout: 1000 });
  try {
    // One dashboard per data folder: a second one would track the same jobs again and start a second bundled
    // service on the same folder. The lock is the database's own, so the OS drops it when its holder dies.
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = WAL');
    db.exec('BEGIN EXCLUSIVE; COMMIT');
  } catch (error) {
    db.close();
    if ((error as { code?: unknown }).code !== 'SQLITE_BUSY') throw error;
    throw new DataDirInUseError(
      `Another dashboard is using the data folder ${dataDir}. Stop it (Ctrl-C where it runs), or give this one its ` +
        'own folder with DATA_DIR.',
    );
  }
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  migrate(db, MIGRATIONS, 'dashboard');

  const q = {
    insertBatch: db.prepare<[string, string, number]>('INSERT INTO batches (id, name, created_at) VALUES (?, ?, ?)'),
    getBatch: db.prepare<[string], BatchRow>('SELECT id, name, created_at, revision FROM batches WHERE id = ?'),
    renameBatch: db.prepare<[string, string]>('UPDATE batches SET name = ?, revision = revision + 1 WHERE id = ?'),
    deleteLinks: db.prepare<[string]>('DELETE FROM batch_jobs WHERE batch_id = ?'),
    deleteBatch: db.prepare<[string]>('DELETE FROM batches WHERE id = ?'),
    jobIdsOfBatch: db.prepare<[string], { job_id: string }>('SELECT job_id FROM batch_jobs WHERE batch_id = ?'),
    bumpBatch: db.prepare<[string]>('UPDATE batches SET revision = revision + 1 WHERE id = ?'),
    bumpBatchesOfJob: db.prepare<[string]>(
      'UPDATE batches SET revision = revision + 1 WHERE id IN (SELECT batch_id FROM batch_jobs WHERE job_id = ?)',
    ),
    insertJob: db.prepare<[string, number]>('INSERT OR IGNORE INTO jobs (id, added_at) VALUES (?, ?)'),
    insertLink: db.prepare<[string, string, number]>(
      'INSERT OR IGNORE INTO batch_jobs (batch_id, job_id, added_at) VALUES (?, ?, ?)',
    ),
    deleteLink: db.prepare<[string, string]>('DELETE FROM batch_jobs WHERE batch_id = ? AND job_id = ?'),
    isLinked: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM batch_jobs WHERE job_id = ? LIMIT 1'),
    batchIdsOfJob: db.prepare<[string], { batch_id: string }>('SELECT batch_id FROM batch_jobs WHERE job_id = ?'),
    getJob: db.prepare<[string], JobRow>(`SELECT j.*, ${SUBMISSION_COLUMNS} FROM jobs j ${SUBMISSION_JOIN} WHERE j.id = ?`),
    getBatchJob: db.prepare<[string, string], BatchJobRow>(
      `SELECT j.*, ${SUBMISSION_COLUMNS}, bj.added_at AS link_added_at FROM batch_jobs bj JOIN jobs j ON j.id = bj.job_id ${SUBMISSION_JOIN} WHERE bj.batch_id = ? AND bj.job_id = ?`,
    ),
    batchJobVersions: db
      .prepare<[string], [string, number, number]>(
        'SELECT bj.job_id, j.version, bj.added_at FROM batch_jobs bj JOIN jobs j ON j.id = bj.job_id WHERE bj.batch_id = ? ORDER BY bj.rowid',
      )
      .raw(true),
    batchJobs: db.prepare<[string], BatchJobRow>(
      `SELECT j.*, ${SUBMISSION_COLUMNS}, bj.added_at AS link_added_at FROM batch_jobs bj JOIN jobs j ON j.id = bj.job_id ${SUBMISSION_JOIN} WHERE bj.batch_id = ? ORDER BY bj.rowid`,
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
       WHERE id = @id`,
    ),
    finalProblem: db.prepare<[string, string, number, string]>(
      `UPDATE jobs SET version = version + 1, state = ?, problem_json = ?, last_checked_at = ?, percent = 100, has_output = 0 WHERE id = ?`,
    ),
    problem: db.prepare<[string, number, string]>('UPDATE jobs SET version = version + 1, problem_json = ?, last_checked_at = ? WHERE id = ?'),
    deleted: db.prepare<[number, string]>(
      `UPDATE jobs SET version = version + 1, state = 'Gone', deleted_at = ?, has_output = 0, percent = 100, problem_json = NULL WHERE id = ?`,
    ),
    outputExpired: db.prepare<[string]>('UPDATE jobs SET version = version + 1, output_expired = 1 WHERE id = ? AND output_expired = 0'),
    downloaded: db.prepare<[number, string]>('UPDATE jobs SET version = version + 1, downloaded_at = ? WHERE id = ?'),
    listBatches: db.prepare<[], BatchRow>('SELECT id, name, created_at, revision FROM batches ORDER BY created_at DESC, rowid DESC'),
    summary: db.prepare<[string], SummaryRow>(`${SUMMARY_SELECT} WHERE b.id = ? GROUP BY b.id`),
    activeJobsOfBatch: db
      .prepare<[string], string>(
        `SELECT j.id FROM batch_jobs bj JOIN jobs j ON j.id = bj.job_id
         WHERE bj.batch_id = ? AND j.state IN ('Unknown', 'Queued', 'Running')`,
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
       WHERE j.state IN ('Unknown', 'Queued', 'Running') AND EXISTS (SELECT 1 FROM batch_jobs bj WHERE bj.job_id = j.id)`,
    ),
  };

  const bumpOfJob = (jobId: string) => q.bumpBatchesOfJob.run(jobId);

  const addJobs = db.transaction((batchId: string, ids: readonly string[], now: number) => {
    const added: string[] = [];
    for (const id of ids) {
      q.insertJob.run(id, now);
      if (q.insertLink.run(batchId, id, now).changes > 0) added.push(id);
    }
    if (added.length > 0) q.bumpBatch.run(batchId);
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
    if (removed > 0) q.bumpBatch.run(batchId);
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
    const result = q.status.run({
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
    });
    if (result.changes > 0) bumpOfJob(jobId);
  });

  const recordFinalProblem = db.transaction((jobId: string, state: 'Gone' | 'Forbidden', problem: Problem, at: number) => {
    if (q.finalProblem.run(state, JSON.stringify(problem), at, jobId).changes > 0) bumpOfJob(jobId);
  });
  const recordProblem = db.transaction((jobId: string, problem: Problem, at: number) => {
    if (q.problem.run(JSON.stringify(problem), at, jobId).changes > 0) bumpOfJob(jobId);
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

  // Every status GET through the proxy asks whether a batch lists the job; most scripts' jobs are in none.
  // A set answers that without touching SQLite; it changes only where links are made or removed below.
  const listed = new Set<string>(db.prepare<[], string>('SELECT DISTINCT job_id FROM batch_jobs').pluck().all());
  const unlist = (ids: readonly string[]) => {
    for (const id of ids) listed.delete(id);
  };

  return {
    createBatch(name: string, now: number): BatchRow {
      const id = newBatchId();
      q.insertBatch.run(id, name, now);
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
    getJob: (jobId: string): JobRow | undefined => q.getJob.get(jobId),
    getBatchJob: (batchId: string, jobId: string): BatchJobRow | undefined => q.getBatchJob.get(batchId, jobId),
    batchIdsOfJob: (jobId: string): string[] => q.batchIdsOfJob.all(jobId).map((r) => r.batch_id),
    isListed: (jobId: string): boolean => listed.has(jobId),
    /** The batch's jobs in the order they were added. */
    batchJobs: (batchId: string): BatchJobRow[] => q.batchJobs.all(batchId),
    /** `[jobId, version, linkAddedAt]` of the batch's jobs in order: cheap, to find what changed since last time. */
    batchJobVersions: (batchId: string): [string, number, number][] => q.batchJobVersions.all(batchId),
    /** Newest first. */
    listBatches: (): BatchRow[] => q.listBatches.all(),
    summary: (batchId: string): SummaryRow | undefined => q.summary.get(batchId),
    activeJobIdsOfBatch: (batchId: string): string[] => q.activeJobsOfBatch.all(batchId),
    /** Jobs still to be polled: not final, listed in at least one batch. */
    activeJobs: (): { id: string; since: number }[] => q.activeJobs.all(),
    /** Succeeded jobs, listed somewhere, whose output was last seen present. */
    outputsAwaitingExpiry: (): string[] => q.outputsAwaitingExpiry.all(),
    /** The database, for server/submissions: its queue changes rows and links in the same transactions. */
    db,
    /** server/submissions moved a row to another job id: keeps the proxy's "is it listed" answer true. */
    relink: (from: string, to: string) => {
      if (!q.isLinked.get(from)) listed.delete(from);
      if (q.isLinked.get(to)) listed.add(to);
    },
    close: () => db.close(),
  };
}

function clampPercent(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.min(100, Math.max(0, value)) : 0;
}

function numberOr0(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}
