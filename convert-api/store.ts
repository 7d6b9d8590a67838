import path from 'node:path';
import Database from 'better-sqlite3';
import type { JobStatus } from '../contract/status.ts';
import { migrate, type Migration } from '../contract/sqlite-migrations.ts';

/** One job as the store keeps it. Times are clock milliseconds; files live under the data dir, never named by the client. */
export interface JobRecord {
  id: string;
  account: string;
  status: JobStatus;
  percent: number;
  phase: string | null;
  converterId: string;
  sourceFormat: string;
  targetFormat: string;
  stem: string;
  options: string;
  inputBytes: number;
  outputBytes: number;
  creditCost: number;
  errorCode: string | null;
  errorDetail: string | null;
  outputFileName: string | null;
  outputContentType: string | null;
  outputFileCount: number | null;
  /** True once the output files were removed by expiry. */
  outputExpired: boolean;
  createdAt: number;
  startedAt: number | null;
  completedAt: number | null;
}

const COLUMNS: Record<keyof JobRecord, string> = {
  id: 'id', account: 'account', status: 'status', percent: 'percent', phase: 'phase', converterId: 'converter_id',
  sourceFormat: 'source_format', targetFormat: 'target_format', stem: 'stem', options: 'options',
  inputBytes: 'input_bytes', outputBytes: 'output_bytes', creditCost: 'credit_cost', errorCode: 'error_code',
  errorDetail: 'error_detail', outputFileName: 'output_file_name', outputContentType: 'output_content_type',
  outputFileCount: 'output_file_count', outputExpired: 'output_expired', createdAt: 'created_at',
  startedAt: 'started_at', completedAt: 'completed_at',
};

/**
 * The schema's history, oldest first (see contract/sqlite-migrations.ts). Append a migration to change it;
 * never edit one that has shipped. Each has a test that opens a data folder of the version before it.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'the schema before numbered migrations',
    up: `
    CREATE TABLE IF NOT EXISTS jobs (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      account TEXT NOT NULL,
      status TEXT NOT NULL,
      percent INTEGER NOT NULL DEFAULT 0,
      phase TEXT,
      converter_id TEXT NOT NULL,
      source_format TEXT NOT NULL,
      target_format TEXT NOT NULL,
      stem TEXT NOT NULL,
      options TEXT NOT NULL,
      input_bytes INTEGER NOT NULL,
      output_bytes INTEGER NOT NULL DEFAULT 0,
      credit_cost INTEGER NOT NULL,
      error_code TEXT,
      error_detail TEXT,
      output_file_name TEXT,
      output_content_type TEXT,
      output_file_count INTEGER,
      output_expired INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL,
      started_at INTEGER,
      completed_at INTEGER
    );
    CREATE INDEX IF NOT EXISTS jobs_active ON jobs (status, seq);
    CREATE TABLE IF NOT EXISTS credit_ledger (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      account TEXT NOT NULL,
      job_id TEXT NOT NULL,
      delta INTEGER NOT NULL,
      reason TEXT NOT NULL,
      at INTEGER NOT NULL
    );
    `,
  },
];

type Row = Record<string, unknown>;

function fromRow(row: Row): JobRecord {
  const job = {} as Record<string, unknown>;
  for (const [key, column] of Object.entries(COLUMNS)) job[key] = row[column];
  job.outputExpired = row.output_expired === 1;
  return job as unknown as JobRecord;
}

export type NewJob = Pick<
  JobRecord,
  'id' | 'account' | 'converterId' | 'sourceFormat' | 'targetFormat' | 'stem' | 'options' | 'inputBytes' | 'creditCost' | 'createdAt'
>;

/** How long a start waits for the data folder's previous holder to let go. */
const LOCK_WAIT_MS = 10_000;

/** The data folder's database is held by another running service. */
export class DataDirInUseError extends Error {}

export class JobStore {
  private readonly db: Database.Database;
  /** better-sqlite3 compiles SQL on every `prepare`; each statement is compiled once and reused. */
  private readonly statements = new Map<string, Database.Statement>();

  constructor(file: string) {
    // Only another process ever holds this database (see below). One that is stopping lets go within seconds
    // (its runs get 5 s to end): a service started right after it, as the dashboard's is after a crash, waits.
    this.db = new Database(file, { timeout: LOCK_WAIT_MS });
    try {
      // One service per data folder: a second one would requeue the first one's running jobs as its own and
      // run them twice. The lock is the database's own, so the OS drops it when the holder dies, even by kill -9.
      this.db.pragma('locking_mode = EXCLUSIVE');
      this.db.pragma('journal_mode = WAL');
      this.db.exec('BEGIN EXCLUSIVE; COMMIT');
    } catch (error) {
      this.db.close();
      if ((error as { code?: unknown }).code !== 'SQLITE_BUSY') throw error;
      throw new DataDirInUseError(
        `Another Convert service is using the data folder ${path.dirname(file)}. Stop it, or give this one its own ` +
          'folder with CONVERT_API_DATA_DIR.',
      );
    }
    // WAL + NORMAL survives a process kill (only an OS crash may lose the last commits).
    this.db.pragma('synchronous = NORMAL');
    migrate(this.db, MIGRATIONS, 'Convert service');
  }

  close(): void {
    this.statements.clear();
    this.db.close();
  }

  private sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  /** Inserts a Queued job and charges its credits, atomically. */
  insert(job: NewJob): void {
    this.db.transaction(() => {
      this.sql(
        `INSERT INTO jobs (id, account, status, phase, converter_id, source_format, target_format, stem, options,
           input_bytes, credit_cost, created_at)
         VALUES (@id, @account, 'Queued', 'queued', @converterId, @sourceFormat, @targetFormat, @stem, @options,
           @inputBytes, @creditCost, @createdAt)`,
      ).run(job);
      this.ledger(job.account, job.id, -job.creditCost, 'charge', job.createdAt);
    })();
  }

  private ledger(account: string, jobId: string, delta: number, reason: string, at: number): void {
    this.sql('INSERT INTO credit_ledger (account, job_id, delta, reason, at) VALUES (?, ?, ?, ?, ?)')
      .run(account, jobId, delta, reason, at);
  }

  get(id: string): JobRecord | null {
    const row = this.sql('SELECT * FROM jobs WHERE id = ?').get(id) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  /** Queued and Running jobs, oldest first, jobs that were Running (before a restart) before queued ones. */
  active(): JobRecord[] {
    const rows = this.sql(`SELECT * FROM jobs WHERE status IN ('Queued', 'Running') ORDER BY status = 'Running' DESC, seq`)
      .all() as Row[];
    return rows.map(fromRow);
  }

  countActive(account: string): number {
    const row = this.sql(`SELECT COUNT(*) AS n FROM jobs WHERE account = ? AND status IN ('Queued', 'Running')`)
      .get(account) as { n: number };
    return row.n;
  }

  markRunning(id: string, startedAt: number): void {
    this.sql(`UPDATE jobs SET status = 'Running', phase = 'converting', started_at = ? WHERE id = ? AND status IN ('Queued', 'Running')`)
      .run(startedAt, id);
  }

  /** Progress only ever grows (CONTRACT.md), also across restarts. */
  saveProgress(id: string, percent: number, phase: string | null): void {
    this.sql(`UPDATE jobs SET percent = MAX(percent, ?), phase = ? WHERE id = ? AND status = 'Running'`)
      .run(Math.floor(percent), phase, id);
  }

  /** Returns false when the job is no longer Running (canceled or deleted meanwhile): the result is discarded. */
  markSucceeded(
    id: string,
    output: { fileName: string; contentType: string; fileCount: number; bytes: number },
    completedAt: number,
  ): boolean {
    const result = this.sql(
      `UPDATE jobs SET status = 'Succeeded', percent = 100, phase = NULL, output_file_name = ?, output_content_type = ?,
         output_file_count = ?, output_bytes = ?, completed_at = ? WHERE id = ? AND status = 'Running'`,
    ).run(output.fileName, output.contentType, output.fileCount, output.bytes, completedAt, id);
    return result.changes === 1;
  }

  /** Fails a running job and refunds its credits, atomically. */
  markFailed(id: string, code: string, detail: string, completedAt: number): boolean {
    return this.db.transaction(() => {
      const job = this.get(id);
      if (!job || job.status !== 'Running') return false;
      this.sql(`UPDATE jobs SET status = 'Failed', phase = NULL, error_code = ?, error_detail = ?, completed_at = ? WHERE id = ?`)
        .run(code, detail, completedAt, id);
      this.ledger(job.account, id, job.creditCost, 'refund', completedAt);
      return true;
    })();
  }

  markCanceled(id: string, completedAt: number): boolean {
    const result = this.sql(`UPDATE jobs SET status = 'Canceled', phase = NULL, completed_at = ? WHERE id = ? AND status IN ('Queued', 'Running')`)
      .run(completedAt, id);
    return result.changes === 1;
  }

  markOutputExpired(id: string): void {
    this.sql('UPDATE jobs SET output_expired = 1 WHERE id = ?').run(id);
  }

  delete(id: string): void {
    this.sql('DELETE FROM jobs WHERE id = ?').run(id);
  }

  /** Succeeded jobs whose output is still kept but completed at or before `before`. */
  outputsCompletedBefore(before: number): string[] {
    const rows = this.sql(`SELECT id FROM jobs WHERE status = 'Succeeded' AND output_expired = 0 AND completed_at <= ?`)
      .all(before) as { id: string }[];
    return rows.map((row) => row.id);
  }

  completedBefore(before: number): string[] {
    const rows = this.sql('SELECT id FROM jobs WHERE completed_at IS NOT NULL AND completed_at <= ?').all(before) as { id: string }[];
    return rows.map((row) => row.id);
  }

  /** Ids whose files must be kept: active jobs (their upload) and unexpired outputs. */
  idsWithFiles(): { uploads: Set<string>; outputs: Set<string> } {
    const active = this.sql(`SELECT id FROM jobs WHERE status IN ('Queued', 'Running')`).all() as { id: string }[];
    const outputs = this.sql(`SELECT id FROM jobs WHERE status = 'Succeeded' AND output_expired = 0`)
      .all() as { id: string }[];
    return { uploads: new Set(active.map((r) => r.id)), outputs: new Set(outputs.map((r) => r.id)) };
  }

  /** The account's credit balance: negative is what it has spent net of refunds. */
  creditBalance(account: string): number {
    const row = this.sql('SELECT COALESCE(SUM(delta), 0) AS total FROM credit_ledger WHERE account = ?').get(account) as { total: number };
    return row.total;
  }
}
