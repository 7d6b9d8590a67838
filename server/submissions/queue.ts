/**
 * The durable queue of spooled submissions (table `submissions`, migrations 5 and 8 of server/batches/store.ts).
 *
 * A submission's batch row is a `jobs` row: while it has no upstream job, the row's id is the submission's id
 * (`sub_…`) and its state is Waiting, Sending or InDoubt (or Failed with the refusal as its problem). When the
 * upstream accepts it, the accepted job takes that row's place in `batch_jobs` (same position), in the same
 * transaction that records the job id: there is no moment where the file is in neither form.
 */
import { randomBytes } from 'node:crypto';
import type { SubmissionAttempt } from '../../contract/dashboard-api.ts';
import type { TrackedState } from '../../contract/tracked-state.ts';
import type { BatchStore } from '../batches/store.ts';

export type QueueState = 'waiting' | 'sending' | 'in_doubt' | 'sent' | 'refused';

export interface SubmissionRow {
  seq: number;
  id: string;
  batch_id: string;
  file_name: string;
  target_format: string;
  options_json: string | null;
  bytes: number;
  source_path: string | null;
  state: QueueState;
  job_id: string | null;
  attempt: number;
  history_json: string;
  created_at: number;
  queued_at: number;
  /** The client's key for this file (`uploadKey`), if it sent one. */
  upload_key: string | null;
}

export function newSubmissionId(): string {
  return `sub_${randomBytes(12).toString('hex')}`;
}

export type SubmissionQueue = ReturnType<typeof openSubmissionQueue>;

export function openSubmissionQueue(store: BatchStore) {
  const db = store.db;
  const q = {
    insert: db.prepare(
      `INSERT INTO submissions (id, batch_id, file_name, target_format, options_json, bytes, source_path, state, created_at, queued_at, upload_key)
       VALUES (@id, @batch_id, @file_name, @target_format, @options_json, @bytes, @source_path, 'waiting', @at, @at, @upload_key)`,
    ),
    byKey: db.prepare<[string, string], SubmissionRow & { listed: number }>(
      `SELECT s.*, EXISTS (SELECT 1 FROM batch_jobs bj WHERE bj.batch_id = s.batch_id AND bj.job_id = coalesce(s.job_id, s.id)) AS listed
       FROM submissions s WHERE s.batch_id = ? AND s.upload_key = ?`,
    ),
    forgetKey: db.prepare<[string]>('UPDATE submissions SET upload_key = NULL WHERE id = ?'),
    get: db.prepare<[string], SubmissionRow>('SELECT * FROM submissions WHERE id = ?'),
    byJob: db.prepare<[string], SubmissionRow>('SELECT * FROM submissions WHERE job_id = ?'),
    sentJob: db.prepare<[string], number>("SELECT 1 FROM submissions WHERE job_id = ? AND state = 'sent'").pluck(),
    anyWaiting: db.prepare<[], number>("SELECT 1 FROM submissions WHERE state = 'waiting' LIMIT 1").pluck(),
    nextWaiting: db.prepare<[], SubmissionRow>(
      "SELECT * FROM submissions WHERE state = 'waiting' ORDER BY queued_at, seq LIMIT 1",
    ),
    setState: db.prepare<[QueueState, string]>('UPDATE submissions SET state = ? WHERE id = ?'),
    ofBatch: db.prepare<[string], SubmissionRow>('SELECT * FROM submissions WHERE batch_id = ?'),
    deleteRow: db.prepare<[string]>('DELETE FROM submissions WHERE id = ?'),
    inState: db.prepare<[QueueState], SubmissionRow>('SELECT * FROM submissions WHERE state = ?'),
    spoolBytes: db.prepare<[], number>('SELECT coalesce(sum(bytes), 0) FROM submissions WHERE source_path IS NOT NULL').pluck(),
    sourcePaths: db.prepare<[], string>('SELECT source_path FROM submissions WHERE source_path IS NOT NULL').pluck(),
    /** Jobs this dashboard sent that the upstream still counts against the account (queued or running). */
    activeSent: db
      .prepare<[], number>(
        `SELECT count(*) FROM submissions s JOIN jobs j ON j.id = s.job_id
         WHERE s.state = 'sent' AND j.state IN ('Unknown', 'Queued', 'Running')`,
      )
      .pluck(),
    expiredSources: db.prepare<[number], SubmissionRow>(
      `SELECT s.* FROM submissions s JOIN jobs j ON j.id = s.job_id
       WHERE s.state = 'sent' AND s.source_path IS NOT NULL AND j.state = 'Succeeded' AND j.first_seen_terminal_at <= ?`,
    ),
    dropSource: db.prepare<[string]>('UPDATE submissions SET source_path = NULL WHERE id = ?'),
    sent: db.prepare<[string, string]>("UPDATE submissions SET state = 'sent', job_id = ? WHERE id = ?"),
    requeue: db.prepare<[string, number, number, string]>(
      "UPDATE submissions SET state = 'waiting', history_json = ?, job_id = NULL, queued_at = ?, attempt = ? WHERE id = ?",
    ),
    // Rows (jobs table).
    insertRow: db.prepare<[string, TrackedState, string, string, number, string]>(
      'INSERT INTO jobs (id, state, file_name, target_format, added_at, submission_id) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    setRowState: db.prepare<[TrackedState, string | null, string | null, string]>(
      'UPDATE jobs SET version = version + 1, state = ?, problem_json = ?, percent = CASE WHEN ? IS NULL THEN 0 ELSE 100 END WHERE id = ?',
    ),
    bumpRow: db.prepare<[string]>('UPDATE jobs SET version = version + 1 WHERE id = ?'),
    deleteRowJob: db.prepare<[string]>('DELETE FROM jobs WHERE id = ?'),
    insertJob: db.prepare(
      `INSERT INTO jobs (id, state, file_name, target_format, added_at, submitted_at, last_seen_active_at, credits, submission_id)
       VALUES (@id, 'Queued', @file_name, @target_format, @at, @at, @at, @credits, @submission_id)
       ON CONFLICT (id) DO UPDATE SET version = version + 1, file_name = excluded.file_name, target_format = excluded.target_format,
         submitted_at = excluded.submitted_at, submission_id = excluded.submission_id`,
    ),
    relink: db.prepare<[string, string]>('UPDATE batch_jobs SET job_id = ? WHERE job_id = ?'),
    relinkInBatch: db.prepare<[string, string, string]>('UPDATE batch_jobs SET job_id = ? WHERE batch_id = ? AND job_id = ?'),
    insertLink: db.prepare<[string, string, number]>('INSERT OR IGNORE INTO batch_jobs (batch_id, job_id, added_at) VALUES (?, ?, ?)'),
    deleteLink: db.prepare<[string]>('DELETE FROM batch_jobs WHERE job_id = ?'),
    batchExists: db.prepare<[string], number>('SELECT 1 FROM batches WHERE id = ?').pluck(),
    bumpBatch: db.prepare<[string]>('UPDATE batches SET revision = revision + 1 WHERE id = ?'),
    bumpBatchesOf: db.prepare<[string]>(
      'UPDATE batches SET revision = revision + 1 WHERE id IN (SELECT batch_id FROM batch_jobs WHERE job_id = ?)',
    ),
    // Live deltas (h10): a link's changed_rev is the revision of its last change; a removal cannot be told as a
    // delta, so whatever takes a row away moves the batch's base_rev. An id swapped in place is not a removal: the
    // new row names the ids it replaces (its `submission`), and the page puts it in their place.
    stamp: db.prepare<[string]>(
      'UPDATE batch_jobs SET changed_rev = (SELECT revision FROM batches b WHERE b.id = batch_jobs.batch_id) WHERE job_id = ?',
    ),
    rebaseOf: db.prepare<[string]>('UPDATE batches SET base_rev = revision WHERE id IN (SELECT batch_id FROM batch_jobs WHERE job_id = ?)'),
    getJobState: db.prepare<[string], { state: TrackedState; last_json: string | null; output_expired: number; problem_json: string | null }>(
      'SELECT state, last_json, output_expired, problem_json FROM jobs WHERE id = ?',
    ),
  };

  /** The row's state changed: its version and its batch's revision move (snapshots and ETags). */
  function rowState(rowId: string, state: TrackedState, problem: string | null): void {
    q.setRowState.run(state, problem, problem, rowId);
    touched(rowId);
  }

  /** The row changed: its batches' revisions move and the link is stamped with them. */
  function touched(rowId: string): void {
    q.bumpBatchesOf.run(rowId);
    q.stamp.run(rowId);
  }

  /**
   * Records a spooled file and its row. With an upload key the batch already holds (the client did not hear the
   * first answer), nothing is recorded and that submission is returned instead: the caller drops the new copy.
   * If the operator has removed that file's row since, the key is the new upload's: it is a new file again.
   */
  const add = db.transaction(
    (s: {
      id: string; batchId: string; fileName: string; targetFormat: string; optionsJson: string | null; bytes: number; sourcePath: string; at: number;
      uploadKey?: string | null;
    }): SubmissionRow | null => {
      if (s.uploadKey) {
        const existing = q.byKey.get(s.batchId, s.uploadKey);
        if (existing?.listed) return existing;
        if (existing) q.forgetKey.run(existing.id);
      }
      q.insert.run({
        id: s.id, batch_id: s.batchId, file_name: s.fileName, target_format: s.targetFormat, options_json: s.optionsJson,
        bytes: s.bytes, source_path: s.sourcePath, at: s.at, upload_key: s.uploadKey ?? null,
      });
      q.insertRow.run(s.id, 'Waiting', s.fileName, s.targetFormat, s.at, s.id);
      q.insertLink.run(s.batchId, s.id, s.at);
      q.bumpBatch.run(s.batchId);
      q.stamp.run(s.id);
      return null;
    },
  );

  const markSending = db.transaction((id: string) => {
    q.setState.run('sending', id);
    rowState(id, 'Sending', null);
  });

  const backToWaiting = db.transaction((id: string) => {
    q.setState.run('waiting', id);
    rowState(id, 'Waiting', null);
  });

  const markInDoubt = db.transaction((id: string) => {
    q.setState.run('in_doubt', id);
    rowState(id, 'InDoubt', null);
  });

  const markRefused = db.transaction((id: string, problem: { error: string; detail: string | null; status: number }) => {
    q.setState.run('refused', id);
    rowState(id, 'Failed', JSON.stringify(problem));
  });

  /** The upstream accepted the file as `jobId`: the job takes the row's place. Returns the batches listing it. */
  const markSent = db.transaction((id: string, jobId: string, at: number, creditCost: number): boolean => {
    const sub = q.get.get(id);
    if (!sub) return false;
    q.sent.run(jobId, id);
    q.insertJob.run({ id: jobId, file_name: sub.file_name, target_format: sub.target_format, at, credits: creditCost, submission_id: id });
    const moved = q.relink.run(jobId, id).changes > 0;
    q.deleteRowJob.run(id);
    touched(jobId);
    return moved;
  });

  /**
   * Sends a row again: the submission goes to the back of the queue as the next attempt, and its row (the old
   * job's place in the batch) becomes the waiting row again. The old job stays recorded, listed nowhere.
   */
  const requeue = db.transaction((sub: SubmissionRow, outcome: Omit<SubmissionAttempt, 'attempt' | 'at'>, at: number) => {
    const history = JSON.parse(sub.history_json) as SubmissionAttempt[];
    history.push({ attempt: sub.attempt, at: new Date(at).toISOString(), ...outcome });
    q.requeue.run(JSON.stringify(history), at, sub.attempt + 1, sub.id);
    const rowId = sub.job_id ?? sub.id;
    if (rowId !== sub.id) {
      q.insertRow.run(sub.id, 'Waiting', sub.file_name, sub.target_format, at, sub.id);
      q.relinkInBatch.run(sub.id, sub.batch_id, rowId);
    } else {
      q.setRowState.run('Waiting', null, null, sub.id);
    }
    touched(sub.id);
  });

  /** Removes submissions and their rows (a batch deleted, or rows dismissed); returns their source files. */
  const remove = db.transaction((subs: readonly SubmissionRow[]) => {
    const paths: string[] = [];
    for (const sub of subs) {
      if (sub.source_path) paths.push(sub.source_path);
      // A submission whose upstream job exists keeps its job row (the job may be in use elsewhere).
      if (sub.state !== 'sent') {
        q.bumpBatchesOf.run(sub.id);
        q.rebaseOf.run(sub.id);
        q.deleteLink.run(sub.id);
        q.deleteRowJob.run(sub.id);
      } else if (sub.job_id) {
        q.bumpRow.run(sub.job_id);
        touched(sub.job_id);
      }
      q.deleteRow.run(sub.id);
    }
    return paths;
  });

  const dropSource = db.transaction((sub: SubmissionRow) => {
    q.dropSource.run(sub.id);
    const rowId = sub.job_id ?? sub.id;
    q.bumpRow.run(rowId);
    touched(rowId);
  });

  return {
    add,
    get: (id: string): SubmissionRow | undefined => q.get.get(id),
    byJob: (jobId: string): SubmissionRow | undefined => q.byJob.get(jobId),
    nextWaiting: (): SubmissionRow | undefined => q.nextWaiting.get(),
    inState: (state: QueueState): SubmissionRow[] => q.inState.all(state),
    ofBatch: (batchId: string): SubmissionRow[] => q.ofBatch.all(batchId),
    activeSent: (): number => q.activeSent.get()!,
    /** The job was sent by the feeder and files are waiting for a slot (its end frees one). */
    holdsSlotWanted: (jobId: string): boolean => q.sentJob.get(jobId) !== undefined && q.anyWaiting.get() !== undefined,
    spoolBytes: (): number => q.spoolBytes.get()!,
    sourcePaths: (): string[] => q.sourcePaths.all(),
    expiredSources: (before: number): SubmissionRow[] => q.expiredSources.all(before),
    jobState: (jobId: string) => q.getJobState.get(jobId),
    batchExists: (batchId: string): boolean => q.batchExists.get(batchId) !== undefined,
    markSending,
    backToWaiting,
    markInDoubt,
    markRefused,
    markSent: (id: string, jobId: string, at: number, creditCost: number): boolean => {
      const moved = markSent(id, jobId, at, creditCost);
      store.relink(id, jobId);
      return moved;
    },
    requeue: (sub: SubmissionRow, outcome: Omit<SubmissionAttempt, 'attempt' | 'at'>, at: number) => {
      requeue(sub, outcome, at);
      if (sub.job_id) store.relink(sub.job_id, sub.id);
    },
    remove,
    dropSource,
  };
}
