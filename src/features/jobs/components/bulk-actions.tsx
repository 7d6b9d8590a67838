import { useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { isSubmissionId, type BatchJob } from '../../../../contract/dashboard-api.ts';
import { MAX_ZIP_IDS } from '../../../../contract/outputs.ts';
import { Button, buttonClasses } from '../../../components/ui/button.tsx';
import { ConfirmDialog } from '../../../components/ui/confirm-dialog.tsx';
import { outputsZipHref } from '../../../config/paths.ts';
import { errorSentence } from '../../../lib/error-messages.ts';
import { plural } from '../../../lib/format.ts';
import { removeIds } from '../../../lib/api/batch-ids.ts';
import { batchKeys } from '../../../lib/api/query-keys.ts';
import { canSendAgain, retryJobs } from '../../../lib/api/submit-file.ts';
import { cancelJob, deleteJob } from '../../../lib/api/job-commands.ts';
import { ACTIONS_BY_STATE, type JobAction } from '../job-actions.ts';
import { jobLabel } from '../job-view.ts';

type BulkAction = Exclude<JobAction, 'download'> | 'retry';

const VERBS: Record<BulkAction, { label: string; done: string; skipped: string }> = {
  cancel: { label: 'Cancel', done: 'Canceled', skipped: 'not queued or running' },
  delete: { label: 'Delete', done: 'Deleted', skipped: 'still queued or running, or unknown upstream' },
  remove: { label: 'Remove', done: 'Removed from the batch', skipped: '' },
  retry: { label: 'Send again', done: 'Sent again', skipped: 'not failed, canceled, expired or in doubt, or no source file kept' },
};

export interface BulkResult {
  action: BulkAction;
  succeeded: number;
  skipped: number;
  failed: { name: string; reason: string }[];
}

const CONCURRENCY = 4;

async function runEach(jobs: BatchJob[], run: (job: BatchJob) => Promise<void>): Promise<BulkResult['failed']> {
  const failed: BulkResult['failed'] = [];
  let next = 0;
  async function worker() {
    while (next < jobs.length) {
      const job = jobs[next++];
      try {
        await run(job);
      } catch (error) {
        failed.push({ name: jobLabel(job), reason: errorSentence(error) });
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, jobs.length) }, worker));
  return failed;
}

export interface BulkActionsProps {
  batchId: string;
  selectedJobs: BatchJob[];
  onClear: () => void;
}

/** Acts on the selection, then reports how many succeeded and which failed and why. */
export function BulkActions({ batchId, selectedJobs, onClear }: BulkActionsProps) {
  const queryClient = useQueryClient();
  const [pending, setPending] = useState<BulkAction | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [result, setResult] = useState<BulkResult | null>(null);
  const count = selectedJobs.length;

  async function run(action: BulkAction) {
    setPending(action);
    setResult(null);
    const applicable = selectedJobs.filter((job) => (action === 'retry' ? canSendAgain(job) : ACTIONS_BY_STATE[job.state].includes(action)));
    let failed: BulkResult['failed'] = [];
    if (action === 'retry') {
      try {
        const answer = await retryJobs(batchId, applicable.map((job) => job.id));
        const byId = new Map(applicable.map((job) => [job.id, job]));
        failed = answer.refused.map((r) => ({ name: byId.has(r.jobId) ? jobLabel(byId.get(r.jobId)!) : r.jobId, reason: r.reason }));
      } catch (error) {
        failed = applicable.map((job) => ({ name: jobLabel(job), reason: errorSentence(error) }));
      }
    } else if (action === 'remove') {
      try {
        await removeIds(batchId, applicable.map((job) => job.id));
      } catch (error) {
        failed = applicable.map((job) => ({ name: jobLabel(job), reason: errorSentence(error) }));
      }
    } else {
      failed = await runEach(applicable, (job) => (action === 'cancel' ? cancelJob(job.id) : deleteJob(job.id)));
    }
    setResult({ action, succeeded: applicable.length - failed.length, skipped: count - applicable.length, failed });
    setPending(null);
    setConfirmDelete(false);
    if (action === 'remove' && failed.length === 0) onClear();
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: batchKeys.detail(batchId) }),
      queryClient.invalidateQueries({ queryKey: batchKeys.lists() }),
    ]);
  }

  if (count === 0 && !result) return null;

  return (
    <section aria-label="Selection" className="flex flex-col gap-1.5 rounded-md border border-blue-200 bg-blue-50/60 px-3 py-2 text-sm dark:border-blue-900 dark:bg-blue-950/30">
      {count > 0 && (
        <div className="flex flex-wrap items-center gap-2">
          <span className="font-medium">{plural(count, 'job')} selected</span>
          <Button size="sm" disabled={pending !== null} onClick={() => run('cancel')}>
            {pending === 'cancel' ? 'Canceling…' : 'Cancel selected'}
          </Button>
          <Button size="sm" disabled={pending !== null} onClick={() => setConfirmDelete(true)}>
            Delete selected
          </Button>
          <Button size="sm" disabled={pending !== null} onClick={() => run('retry')}>
            {pending === 'retry' ? 'Sending…' : 'Send selected again'}
          </Button>
          <Button size="sm" disabled={pending !== null} onClick={() => run('remove')}>
            {pending === 'remove' ? 'Removing…' : 'Remove selected from batch'}
          </Button>
          {count <= MAX_ZIP_IDS ? (
            <a href={outputsZipHref(batchId, { ids: selectedJobs.filter((job) => !isSubmissionId(job.id)).map((job) => job.id) })} download className={buttonClasses('secondary', 'sm')}>
              <span aria-hidden="true">↓</span>
              Download selected as ZIP
            </a>
          ) : (
            <span className="text-xs text-slate-600 dark:text-slate-400">
              A ZIP takes at most {MAX_ZIP_IDS} selected jobs; filter the table and use “Download filtered as ZIP” instead.
            </span>
          )}
          <Button size="sm" variant="ghost" onClick={onClear}>
            Clear selection
          </Button>
        </div>
      )}
      {result && (
        <div role="status" aria-label="Bulk action result">
          <p>
            {VERBS[result.action].done}: {result.succeeded} of {result.succeeded + result.failed.length + result.skipped}.
            {result.skipped > 0 && ` Skipped ${result.skipped} (${VERBS[result.action].skipped}).`}
            {result.failed.length > 0 && ` ${result.failed.length} failed:`}
          </p>
          {result.failed.length > 0 && (
            <ul className="mt-1 max-h-28 list-disc overflow-auto pl-5 text-xs text-red-800 dark:text-red-300">
              {result.failed.map((f) => (
                <li key={f.name}>
                  <span className="font-medium">{f.name}</span>: {f.reason}
                </li>
              ))}
            </ul>
          )}
          <Button size="sm" variant="ghost" className="mt-1" onClick={() => setResult(null)}>
            Dismiss
          </Button>
        </div>
      )}
      <ConfirmDialog
        open={confirmDelete}
        title={`Delete ${plural(count, 'job')}?`}
        description="Finished jobs and their outputs are removed from the Convert API; queued or running ones are skipped. This cannot be undone."
        confirmLabel={`Delete ${plural(count, 'job')}`}
        pending={pending === 'delete'}
        onClose={() => setConfirmDelete(false)}
        onConfirm={() => run('delete')}
      />
    </section>
  );
}
