import { memo } from 'react';
import { Link } from 'react-router-dom';
import { isSubmissionId, type BatchJob } from '../../../../contract/dashboard-api.ts';
import { SubmissionActions, attemptsNote } from '../../../components/submission-actions.tsx';
import { STATE_STYLES } from '../../../lib/status-style.ts';
import { focusRing } from '../../../components/ui/button.tsx';
import { paths } from '../../../config/paths.ts';
import { describeErrorCode } from '../../../lib/error-messages.ts';
import { formatBytes, shortId } from '../../../lib/format.ts';
import { useTimePassed } from '../../../lib/use-time-passed.ts';
import { countdownTargetLocalMs } from '../expiry.ts';
import { receiptText } from '../receipt.ts';
import { displayName, jobLabel, jobPercent } from '../job-view.ts';
import { CopyIdButton } from './copy-id-button.tsx';
import { ExpiryCountdown } from './expiry-countdown.tsx';
import { JobActions } from './job-actions.tsx';
import { ProgressBar } from './progress-bar.tsx';
import { StatusBadge } from './status-badge.tsx';

/** Shared by header and rows so the columns line up. */
export const JOB_GRID =
  'grid grid-cols-[2.25rem_minmax(14rem,2fr)_7.5rem_minmax(9rem,1fr)_8rem_3.5rem_5.5rem_minmax(15rem,1.3fr)] items-center gap-x-3 px-3';

export const ROW_HEIGHT = 60;

export interface JobRowProps {
  job: BatchJob;
  batchId: string;
  serverOffsetMs: number;
  selected: boolean;
  onToggle: (jobId: string) => void;
  rowIndex: number;
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

export const JobRow = memo(function JobRow({ job, batchId, serverOffsetMs, selected, onToggle, rowIndex }: JobRowProps) {
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
      <div role="cell">
        <input
          type="checkbox"
          aria-label={`Select ${name}`}
          checked={selected}
          onChange={() => onToggle(job.id)}
          className={`size-4 rounded accent-blue-600 ${focusRing}`}
        />
      </div>
      <div role="cell" className="min-w-0">
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
        </div>
        <div className="flex min-w-0 items-center gap-1 text-xs text-slate-500 dark:text-slate-400">
          <code className="shrink-0 font-mono whitespace-nowrap" title={job.id}>
            {shortId(job.id)}
          </code>
          <CopyIdButton id={job.id} name={name} />
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
      </div>
      <div role="cell">
        <StatusBadge state={upstreamGone ? 'Expired' : job.state} />
      </div>
      <div role="cell" className="min-w-0">
        <ProgressBar percent={jobPercent(job)} phase={job.last?.progress.phase ?? null} state={job.state} label={`Progress of ${name}`} />
      </div>
      <div role="cell" className="text-xs tabular-nums text-slate-600 dark:text-slate-400">
        {formatBytes(metrics?.inputBytes)} → {metrics && metrics.outputBytes > 0 ? formatBytes(metrics.outputBytes) : '—'}
      </div>
      <div role="cell" className="text-xs tabular-nums text-slate-600 dark:text-slate-400">
        {metrics ? metrics.creditCost : '—'}
      </div>
      <div role="cell">
        <ExpiryCountdown job={job} serverOffsetMs={serverOffsetMs} />
      </div>
      <div role="cell" className="flex min-w-0 flex-wrap items-center gap-1.5">
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
