import { useState } from 'react';
import { isSubmissionId, type BatchJob } from '../../contract/dashboard-api.ts';
import { Button } from './ui/button.tsx';
import { errorSentence } from '../lib/error-messages.ts';
import { canSendAgain, noSendAgainReason, useDismissRows, useRetryJobs } from '../lib/api/submit-file.ts';

/** "Send again" (or "Convert again" for an expired output) and "Dismiss", for rows uploaded through the dashboard. */
export function SubmissionActions({ job, name, batchId, size = 'sm' }: { job: BatchJob; name: string; batchId: string; size?: 'sm' | 'md' }) {
  const retry = useRetryJobs(batchId);
  const dismiss = useDismissRows(batchId);
  const [message, setMessage] = useState<string | null>(null);
  const again = canSendAgain(job);
  // No upstream job: in doubt, or refused by the upstream.
  const dismissable = isSubmissionId(job.id) && (job.state === 'InDoubt' || job.state === 'Failed');
  if (!again && !dismissable) {
    // Where nothing can be sent again, the row says why (ids added by hand, a deleted source).
    const why = noSendAgainReason(job);
    return why ? <span className="text-xs text-slate-500 dark:text-slate-400">{why}</span> : null;
  }
  const label = job.state === 'Succeeded' ? 'Convert again' : 'Send again';
  return (
    <>
      {again && (
        <Button
          size={size}
          aria-label={`${label} ${name}`}
          disabled={retry.isPending}
          onClick={() => {
            setMessage(null);
            retry.mutate([job.id], {
              onSuccess: (answer) => setMessage(answer.refused[0]?.reason ?? null),
              onError: (error) => setMessage(errorSentence(error)),
            });
          }}
        >
          {label}
        </Button>
      )}
      {dismissable && (
        <Button size={size} variant="ghost" aria-label={`Dismiss ${name}`} disabled={dismiss.isPending} onClick={() => dismiss.mutate([job.id])}>
          Dismiss
        </Button>
      )}
      {message && <span className="text-xs text-red-700 dark:text-red-400">{message}</span>}
    </>
  );
}

/** The row's attempt history in a few words: "attempt 2; attempt 1 failed: convert.invalid_input". */
export function attemptsNote(job: BatchJob): string | null {
  const sub = job.submission;
  if (!sub || sub.attempt <= 1) return null;
  const last = sub.history[sub.history.length - 1];
  const how: Record<string, string> = {
    Failed: 'failed', Canceled: 'was canceled', Succeeded: 'output expired', InDoubt: 'was in doubt', Refused: 'was refused',
  };
  return `attempt ${sub.attempt}; attempt ${last.attempt} ${how[last.outcome] ?? last.outcome.toLowerCase()}${last.error && last.outcome !== 'Succeeded' ? `: ${last.error}` : ''}`;
}
