import { memo } from 'react';
import { Link } from 'react-router-dom';
import { isSubmissionId, type BatchJob } from '../../../../contract/dashboard-api.ts';
import type { StalledJob } from '../../../../contract/insight-api.ts';
import { SubmissionActions, attemptsNote } from '../../../components/submission-actions.tsx';
import { STATE_STYLES } from '../../../lib/status-style.ts';
import { focusRing } from '../../../components/ui/button.tsx';
import { paths } from '../../../config/paths.ts';
import { describeErrorCode } from '../../../lib/error-messages.ts';
import { formatBytes, formatDuration, preciseDuration, shortId } from '../../../lib/format.ts';
import { useTimePassed } from '../../../lib/use-time-passed.ts';
import { countdownTargetLocalMs } from '../expiry.ts';
import { receiptText } from '../receipt.ts';
import { displayName, jobLabel, jobPercent, type OptionalColumn } from '../job-view.ts';
import { jobTimesOf } from '../../../lib/batch-jobs.ts';
import { CopyIdButton } from './copy-id-button.tsx';
import { ExpiryCountdown } from './expiry-countdown.tsx';
import { JobActions } from './job-actions.tsx';
import { ProgressBar } from './progress-bar.tsx';
import { StatusBadge } from './status-badge.tsx';

/**
 * Shared by header and rows so the columns line up. Three layouts (row-layout.ts gives their heights):
 * - phone, a card: the file; status and expiry; progress; actions;
 * - tablet, two lines: file | status and expiry over progress | actions (sizes and credits are on the job page);
 * - laptop and up, a column per field. The file column stops growing at 36rem, so a wide screen gives the
 *   rest to progress instead of pushing the actions far from the name.
 * Cells are placed with whole `grid-column`/`grid-row` values: a `col-span` would reset a `col-start`.
 */
export const JOB_GRID = [
  'grid content-center items-center gap-x-2 gap-y-1.5 px-3',
  'grid-cols-[1.75rem_auto_minmax(0,1fr)]',
  'md:grid-cols-[2rem_minmax(0,1fr)_6.5rem_5rem_14.5rem] md:gap-x-3 md:gap-y-0.5',
  // The optional columns (wait, run) go before Actions through `--job-optional-cols`, which the table sets.
  'xl:grid-cols-[2rem_minmax(14rem,36rem)_7.5rem_minmax(9rem,1fr)_8rem_3.5rem_6.5rem_var(--job-optional-cols,)_14.5rem] xl:gap-y-0',
].join(' ');

/** Optional columns (wait, run) exist from the laptop layout up, auto-placed between Expires and Actions. */
export const OPTIONAL_CELL_PLACE = 'hidden xl:block';

/** Where each cell sits in each layout (the DOM order is the column order of the widest one). */
export const CELL_PLACE = {
  select: 'col-[1/2] row-[1/2] self-start md:row-[1/3] md:self-center xl:row-[1/2]',
  file: 'col-[2/4] row-[1/2] md:col-[2/3] md:row-[1/3] xl:row-[1/2]',
  status: 'col-[2/3] row-[2/3] md:col-[3/4] md:row-[1/2]',
  progress: 'col-[2/4] row-[3/4] md:col-[3/5] md:row-[2/3] xl:col-[4/5] xl:row-[1/2]',
  io: 'hidden xl:col-[5/6] xl:row-[1/2] xl:block',
  credits: 'hidden xl:col-[6/7] xl:row-[1/2] xl:block',
  expires: 'col-[3/4] row-[2/3] justify-self-end md:col-[4/5] md:row-[1/2] xl:col-[7/8] xl:justify-self-start',
  actions: 'col-[2/4] row-[4/5] md:col-[5/6] md:row-[1/3] xl:col-[-2/-1] xl:row-[1/2]',
} as const;

export interface JobRowProps {
  job: BatchJob;
  batchId: string;
  serverOffsetMs: number;
  selected: boolean;
  onToggle: (jobId: string) => void;
  rowIndex: number;
  /** Optional columns shown (job-view.ts `OPTIONAL_COLUMNS`), in order. */
  columns?: readonly OptionalColumn[];
  /** Set when the server judges the job *Stalled?* (its percent and phase have not moved for too long). */
  stalled?: StalledJob | null;
}

/** "Stalled? 7 min", with the rule that decided it in the tooltip. */
function StalledMark({ stalled }: { stalled: StalledJob }) {
  const explanation = `No change in percent or phase for ${formatDuration(stalled.unchangedMs)} (the threshold is ${formatDuration(stalled.thresholdMs)}). ${stalled.reason}`;
  return (
    <span
      title={explanation}
      className="mt-0.5 block w-fit rounded bg-amber-100 px-1 text-[0.7rem] font-semibold whitespace-nowrap text-amber-900 dark:bg-amber-950 dark:text-amber-200"
    >
      Stalled? {formatDuration(stalled.unchangedMs)}
      <span className="sr-only">. {explanation}</span>
    </span>
  );
}

/** What a row says under the name: the failure, or why the dashboard cannot see the job. */
function rowNote(job: BatchJob): { text: string; title: string } | null {
  const attempts = attemptsNote(job);
  const note = stateNote(job);
  if (!attempts) return note;
  return { text: note ? `${attempts} · ${note.text}` : attempts, title: note?.title ?? '' };
}

function stateNote(job: BatchJob): { text: string; title: string } | null {
  if (job.state === 'Waiting') return { text: 'Received by the dashboard; sent when the account has room.', title: '' };
  if (job.state === 'Sending') return { text: 'Being sent to the Convert API.', title: '' };
  if (job.state === 'InDoubt') return { text: STATE_STYLES.InDoubt.description, title: STATE_STYLES.InDoubt.description };
  if (job.state === 'Failed' && !job.last && job.problem) {
    // The sentence first (the code and detail stay in the tooltip): a cut-off row still says what happened.
    const { error, detail } = job.problem;
    return { text: `Refused: ${describeErrorCode(error, detail, job.problem.status).message}`, title: `${error}${detail ? `: ${detail}` : ''}` };
  }
  if (job.state === 'Failed' && job.last?.error) {
    // The plain sentence, not the machine code (the code and detail stay in the tooltip and on the job page).
    const { code, detail } = job.last.error;
    const { message } = describeErrorCode(code, detail);
    return { text: detail && !message.includes(detail) ? `${message} (${detail})` : message, title: `${code}${detail ? `: ${detail}` : ''}` };
  }
  if (job.state === 'Gone' || job.state === 'Forbidden') {
    const code = job.problem?.error ?? (job.state === 'Gone' ? 'jobs.not_found' : 'jobs.forbidden');
    const { message, next } = describeErrorCode(code, job.problem?.detail ?? null, job.problem?.status);
    return { text: `${message} ${next}`, title: job.problem?.detail ?? message };
  }
  if (job.state === 'Unknown') return { text: 'Not checked with the Convert API yet.', title: '' };
  return null;
}

function TimeCells({ job, columns }: { job: BatchJob; columns: readonly OptionalColumn[] }) {
  const times = jobTimesOf(job);
  return columns.map((column) => {
    const ms = column === 'wait' ? times.waitMs : times.runMs;
    return (
      <div key={column} role="cell" className={`text-xs tabular-nums text-slate-600 dark:text-slate-400 ${OPTIONAL_CELL_PLACE}`}>
        {ms === null ? <span title="Not observed">—</span> : preciseDuration(ms)}
      </div>
    );
  });
}

export const JobRow = memo(function JobRow({ job, batchId, serverOffsetMs, selected, onToggle, rowIndex, columns, stalled }: JobRowProps) {
  const fileName = displayName(job);
  // Names the row and every control in it (unique per row, unlike the file name alone).
  const name = jobLabel(job);
  const note = rowNote(job);
  const metrics = job.last?.metrics;
  const target = countdownTargetLocalMs(job, serverOffsetMs);
  // contract/outputs.ts `viewState`, in the browser's clock: one timer flips the row when its countdown ends.
  const countdownEnded = useTimePassed(target);
  const upstreamGone = job.state === 'Succeeded' && (job.outputExpired || countdownEnded);
  const receipt = receiptText(job, upstreamGone);
  return (
    <div
      role="row"
      aria-rowindex={rowIndex}
      aria-selected={selected}
      aria-label={name}
      className={`${JOB_GRID} h-full border-b border-slate-100 text-sm dark:border-slate-800/80 ${selected ? 'bg-blue-50/70 dark:bg-blue-950/40' : 'hover:bg-slate-50 dark:hover:bg-slate-900/60'}`}
    >
      <div role="cell" className={CELL_PLACE.select}>
        <input
          type="checkbox"
          aria-label={`Select ${name}`}
          checked={selected}
          onChange={() => onToggle(job.id)}
          className={`size-4 rounded accent-blue-600 ${focusRing}`}
        />
      </div>
      <div role="cell" className={`min-w-0 ${CELL_PLACE.file}`}>
        <div className="flex min-w-0 items-center gap-1">
          {isSubmissionId(job.id) ? (
            // No upstream job yet: there is no job page to open.
            <span className="truncate font-medium text-slate-900 dark:text-slate-100" title={fileName}>
              {fileName}
            </span>
          ) : (
            <Link
              to={paths.batchJob.getHref(batchId, job.id)}
              className={`truncate rounded py-0.5 font-medium text-slate-900 hover:underline dark:text-slate-100 ${focusRing}`}
              title={fileName}
              aria-label={name}
            >
              {fileName}
            </Link>
          )}
          {job.targetFormat && (
            <span aria-hidden="true" className="shrink-0 text-xs text-slate-500 dark:text-slate-400">
              → {job.targetFormat}
            </span>
          )}
          {/* A row named by its id shows it already; the copy button stays for both. */}
          {fileName !== job.id && (
            // The tablet's file column is narrow: the name gets the room there (the copy button still has the id).
            <code className="ml-1 shrink-0 font-mono text-xs whitespace-nowrap text-slate-500 md:max-xl:hidden dark:text-slate-400" title={job.id}>
              {shortId(job.id)}
            </code>
          )}
          <CopyIdButton id={job.id} name={name} />
        </div>
        {(receipt || note) && (
          <div className="flex min-w-0 items-center gap-1 text-xs leading-4 text-slate-500 dark:text-slate-400">
            {receipt && (
              <span className="truncate" title={receipt}>
                {receipt}
              </span>
            )}
            {note && (
              <span
                title={note.title || undefined}
                className={`truncate ${job.state === 'Failed' || job.state === 'Forbidden' ? 'text-red-700 dark:text-red-400' : ''}`}
              >
                {note.text}
              </span>
            )}
          </div>
        )}
      </div>
      <div role="cell" className={CELL_PLACE.status}>
        <StatusBadge state={upstreamGone ? 'Expired' : job.state} />
        {stalled && <StalledMark stalled={stalled} />}
      </div>
      <div role="cell" className={`min-w-0 ${CELL_PLACE.progress}`}>
        <ProgressBar percent={jobPercent(job)} phase={job.last?.progress.phase ?? null} state={job.state} label={`Progress of ${name}`} />
      </div>
      <div role="cell" className={`text-xs tabular-nums text-slate-600 dark:text-slate-400 ${CELL_PLACE.io}`}>
        {formatBytes(metrics?.inputBytes)} → {metrics && metrics.outputBytes > 0 ? formatBytes(metrics.outputBytes) : '—'}
      </div>
      <div role="cell" className={`text-xs tabular-nums text-slate-600 dark:text-slate-400 ${CELL_PLACE.credits}`}>
        {metrics ? metrics.creditCost : '—'}
      </div>
      <div role="cell" className={CELL_PLACE.expires}>
        <ExpiryCountdown job={job} serverOffsetMs={serverOffsetMs} />
      </div>
      {columns && columns.length > 0 && <TimeCells job={job} columns={columns} />}
      <div role="cell" className={`flex min-w-0 items-center gap-1.5 ${CELL_PLACE.actions}`}>
        <JobActions
          jobId={job.id}
          name={name}
          state={job.state}
          output={job.last?.output ?? null}
          outputExpired={job.outputExpired}
          kept={job.kept}
          batchId={batchId}
          expiryTargetLocalMs={target}
        />
        <SubmissionActions job={job} name={name} batchId={batchId} />
      </div>
    </div>
  );
});
