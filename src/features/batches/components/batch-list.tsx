import { useState } from 'react';
import { Link } from 'react-router-dom';
import type { BatchSummary } from '../../../../contract/dashboard-api.ts';
import { Button, focusRing } from '../../../components/ui/button.tsx';
import { ConfirmDialog } from '../../../components/ui/confirm-dialog.tsx';
import { paths } from '../../../config/paths.ts';
import { errorSentence } from '../../../lib/error-messages.ts';
import { formatBytes, formatDateTime, plural } from '../../../lib/format.ts';
import { useDeleteBatch } from '../api/update-batch.ts';
import { RenameBatchDialog } from './rename-batch-dialog.tsx';
import { batchProgress } from '../batch-progress.ts';
import { StatusBar, StatusLegend } from './status-bar.tsx';

export function BatchList({ batches }: { batches: BatchSummary[] }) {
  return (
    // Narrow screens drop the columns a phone has no room for (the batch page shows them); a name too long to
    // wrap scrolls inside the box, never the page.
    <div className="overflow-x-auto rounded-lg border border-slate-200 dark:border-slate-800">
    <table aria-label="Batches" className="w-full border-separate border-spacing-0 text-sm">
      <thead className="bg-slate-50 text-left text-xs font-medium text-slate-600 dark:bg-slate-900 dark:text-slate-400">
        <tr>
          <th scope="col" className="px-3 py-2">Name</th>
          <th scope="col" className="hidden px-3 py-2 lg:table-cell">Created</th>
          <th scope="col" className="hidden px-3 py-2 sm:table-cell">Jobs</th>
          <th scope="col" className="hidden w-1/4 px-3 py-2 md:table-cell">Status</th>
          <th scope="col" className="px-3 py-2">Progress</th>
          <th scope="col" className="hidden px-3 py-2 xl:table-cell">Output</th>
          <th scope="col" className="px-3 py-2"><span className="sr-only">Actions</span></th>
        </tr>
      </thead>
      <tbody>
        {batches.map((batch) => (
          <BatchListRow key={batch.id} batch={batch} />
        ))}
      </tbody>
    </table>
    </div>
  );
}

function BatchListRow({ batch }: { batch: BatchSummary }) {
  const [renaming, setRenaming] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const del = useDeleteBatch();
  const progress = batchProgress(batch);
  const cell = 'border-t border-slate-100 px-2 py-2.5 sm:px-3 dark:border-slate-800';
  return (
    <tr className="hover:bg-slate-50 dark:hover:bg-slate-900/60">
      <th scope="row" className={`${cell} text-left font-medium lg:min-w-56`}>
        <Link
          to={paths.batch.getHref(batch.id)}
          className={`rounded text-blue-700 underline decoration-blue-700/30 underline-offset-2 hover:decoration-current dark:text-blue-400 dark:decoration-blue-400/40 ${focusRing}`}
        >
          {batch.name}
        </Link>
        {/* The phone's stand-in for the Jobs column. */}
        <span className="block text-xs font-normal text-slate-600 sm:hidden dark:text-slate-400">
          {plural(batch.jobCount, 'job')} · {batch.outputsReady} ready
        </span>
      </th>
      <td className={`${cell} hidden whitespace-nowrap text-slate-600 lg:table-cell dark:text-slate-400`}>{formatDateTime(batch.createdAt)}</td>
      <td className={`${cell} hidden whitespace-nowrap tabular-nums sm:table-cell`}>
        {batch.jobCount}
        <span className="ml-1 text-xs text-slate-500 dark:text-slate-400">({batch.outputsReady} ready)</span>
      </td>
      <td className={`${cell} hidden md:table-cell`}>
        <StatusBar counts={batch.counts} />
        <StatusLegend counts={batch.counts} className="mt-1" />
      </td>
      <td className={cell}>
        <div className="flex items-center gap-2">
          <div
            role="progressbar"
            aria-label={`Progress of ${batch.name}`}
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={progress.percent}
            aria-valuetext={progress.valueText}
            className="h-1.5 w-12 shrink-0 overflow-hidden rounded-full bg-slate-200 sm:w-20 dark:bg-slate-700"
          >
            <div className="h-full bg-blue-500" style={{ width: `${progress.percent}%` }} />
          </div>
          <span className="text-xs tabular-nums">{progress.text}</span>
        </div>
      </td>
      <td className={`${cell} hidden whitespace-nowrap text-xs tabular-nums text-slate-600 xl:table-cell dark:text-slate-400`}>
        {formatBytes(batch.inputBytes)} → {formatBytes(batch.outputBytes)} · {plural(batch.credits, 'credit')}
      </td>
      <td className={`${cell} text-right sm:whitespace-nowrap`}>
        <Button size="sm" variant="ghost" aria-label={`Rename ${batch.name}`} onClick={() => setRenaming(true)}>
          Rename
        </Button>
        <Button size="sm" variant="ghost" aria-label={`Delete ${batch.name}`} onClick={() => setDeleting(true)}>
          Delete
        </Button>
        <RenameBatchDialog batchId={batch.id} currentName={batch.name} open={renaming} onClose={() => setRenaming(false)} />
        <ConfirmDialog
          open={deleting}
          title={`Delete batch ${batch.name}?`}
          description="Only the batch is deleted; the jobs stay in the Convert API until they expire."
          confirmLabel="Delete batch"
          pending={del.isPending}
          error={del.error ? errorSentence(del.error) : null}
          onClose={() => {
            setDeleting(false);
            del.reset();
          }}
          onConfirm={() => del.mutate(batch.id, { onSuccess: () => setDeleting(false) })}
        />
      </td>
    </tr>
  );
}
