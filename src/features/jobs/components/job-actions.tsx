import { useState } from 'react';
import type { BatchJob, TrackedState } from '../../../../contract/dashboard-api.ts';
import type { JobOutput } from '../../../../contract/job.ts';
import { Button } from '../../../components/ui/button.tsx';
import { ConfirmDialog } from '../../../components/ui/confirm-dialog.tsx';
import { errorSentence } from '../../../lib/error-messages.ts';
import { useRemoveIds } from '../../../lib/api/batch-ids.ts';
import { useCancelJob, useDeleteJob } from '../../../lib/api/job-commands.ts';
import { actionsFor } from '../job-actions.ts';
import { formatAgo } from '../../../lib/format.ts';
import { useNow } from '../../../lib/ticker.ts';
import { useTimePassed } from '../../../lib/use-time-passed.ts';
import { expiredSentence } from '../expiry.ts';
import { DownloadLink } from './download-link.tsx';

export interface JobActionsProps {
  jobId: string;
  /** File name or id: part of every accessible name ("Cancel photo.png"). */
  name: string;
  state: TrackedState;
  output: JobOutput | null;
  /** Seen expired upstream. */
  outputExpired: boolean;
  /** This server's copy, downloadable after the upstream's is gone. */
  kept?: BatchJob['kept'];
  batchId?: string;
  /** Local time at which the expiry countdown ends (see `countdownTargetLocalMs`); from then on, no Download. */
  expiryTargetLocalMs?: number | null;
  size?: 'sm' | 'md';
  layout?: 'row' | 'page';
}

/**
 * The actions a job offers, from the one status→actions table; each is confirm (delete) → run → invalidate.
 * A succeeded job's Download disappears when its countdown ends, through one timer, not the 1 s ticker.
 */
export function JobActions({ jobId, name, state, output, outputExpired, kept = null, batchId, expiryTargetLocalMs = null, size = 'sm', layout = 'row' }: JobActionsProps) {
  const [message, setMessage] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const cancel = useCancelJob();
  const remove = useRemoveIds(batchId ?? '');
  const del = useDeleteJob();
  const countdownEnded = useTimePassed(state === 'Succeeded' ? expiryTargetLocalMs : null);
  const expired = state === 'Succeeded' && (outputExpired || countdownEnded);
  const actions = actionsFor({ state, hasOutput: output !== null, outputExpired: expired, inBatch: batchId !== undefined, kept: kept !== null });
  const downloadName = output?.fileName ?? kept?.fileName ?? null;

  return (
    // A laptop's rows are one line high: the note or message goes beside the buttons there, not under them.
    <div className={layout === 'row' ? 'flex min-w-0 flex-col gap-0.5 xl:flex-row xl:items-center xl:gap-2' : 'flex flex-col gap-2'}>
      <div className={`flex flex-wrap items-center gap-1.5 ${layout === 'row' ? 'xl:shrink-0 xl:flex-nowrap' : ''}`}>
        {actions.includes('download') && downloadName !== null && (
          <DownloadLink
            jobId={jobId}
            fileName={downloadName}
            label={`Download ${downloadName}`}
            kept={kept !== null}
            expiresAtLocalMs={expiryTargetLocalMs}
            onProblem={setMessage}
            size={size}
          />
        )}
        {actions.includes('cancel') && (
          <Button
            size={size}
            aria-label={`Cancel ${name}`}
            disabled={cancel.isPending}
            onClick={() => {
              setMessage(null);
              cancel.mutate({ jobId, batchId }, { onError: (error) => setMessage(errorSentence(error)) });
            }}
          >
            {cancel.isPending ? 'Canceling…' : 'Cancel'}
          </Button>
        )}
        {actions.includes('delete') && (
          <Button size={size} aria-label={`Delete ${name}`} onClick={() => setConfirmDelete(true)}>
            Delete
          </Button>
        )}
        {actions.includes('remove') && (
          <Button
            size={size}
            variant="ghost"
            aria-label={`Remove ${name} from batch`}
            disabled={remove.isPending}
            onClick={() => {
              setMessage(null);
              remove.mutate([jobId], { onError: (error) => setMessage(errorSentence(error)) });
            }}
          >
            Remove
          </Button>
        )}
      </div>
      {expired && !message && <ExpiredNote expiredAtLocalMs={expiryTargetLocalMs} layout={layout} />}
      {message && (
        <p role="alert" title={message} className={`text-xs text-red-700 dark:text-red-400 ${layout === 'row' ? 'line-clamp-2 min-w-0 leading-tight' : ''}`}>
          {message}
        </p>
      )}
      <ConfirmDialog
        open={confirmDelete}
        title={`Delete ${name}?`}
        description="The job and its output are removed from the Convert API. This cannot be undone."
        confirmLabel="Delete job"
        pending={del.isPending}
        error={del.error ? errorSentence(del.error) : null}
        onClose={() => {
          setConfirmDelete(false);
          del.reset();
        }}
        onConfirm={() =>
          del.mutate(
            { jobId, batchId },
            {
              onSuccess: () => setConfirmDelete(false),
            },
          )
        }
      />
    </div>
  );
}

/** In place of the Download link: since when the output is gone (ticks, but only for expired rows on screen). */
function ExpiredNote({ expiredAtLocalMs, layout }: { expiredAtLocalMs: number | null; layout: 'row' | 'page' }) {
  // Reads the clock while rendering: the React Compiler would keep the first reading (it depends on no input).
  'use no memo';
  useNow();
  // The exact time, not the ticker's whole second, so the note agrees with the timer that removed the link.
  // eslint-disable-next-line react-hooks/purity -- re-rendered by the ticker; each render reads the clock once
  const now = Date.now();
  const sentence = expiredSentence(expiredAtLocalMs, now);
  if (layout === 'page') return <p className="text-sm text-slate-700 dark:text-slate-300">{sentence}</p>;
  const ago = expiredAtLocalMs != null && now >= expiredAtLocalMs ? ` ${formatAgo(now - expiredAtLocalMs)}` : '';
  return (
    <p title={sentence} className="truncate text-xs text-slate-600 dark:text-slate-400">
      Output expired{ago}
    </p>
  );
}
