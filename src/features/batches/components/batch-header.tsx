import { useState, type ReactNode } from 'react';
import type { BatchSummary } from '../../../../contract/dashboard-api.ts';
import { Button } from '../../../components/ui/button.tsx';
import { formatBytes, formatDateTime, plural } from '../../../lib/format.ts';
import { Freshness, StaleNote, type FreshnessProps } from './freshness.tsx';
import { RenameBatchDialog } from './rename-batch-dialog.tsx';
import { batchProgress } from '../batch-progress.ts';
import { StatusBar, StatusLegend } from './status-bar.tsx';

/** `note`: a short aside after the value, spelled out in full for a screen reader and on hover. */
function Stat({ label, value, note }: { label: string; value: string; note?: { short: string; full: string } }) {
  return (
    <div className="flex gap-1 whitespace-nowrap">
      <dt className="text-slate-600 dark:text-slate-400">{label}</dt>
      <dd className="font-medium tabular-nums">
        {value}
        {note && (
          <span title={note.full} className="font-normal text-slate-600 dark:text-slate-400">
            {' '}
            <span aria-hidden="true">({note.short})</span>
            <span className="sr-only">({note.full})</span>
          </span>
        )}
      </dd>
    </div>
  );
}

/**
 * `counts` and `outputsReady` override the summary's with what the rows show now (an output whose countdown
 * ended is Expired, not ready), so the header agrees with the rows at every moment.
 */
export function BatchHeader({
  batch,
  freshness,
  counts = batch.counts,
  outputsReady = batch.outputsReady,
  breadcrumb,
  actions,
  children,
}: {
  batch: BatchSummary;
  freshness: FreshnessProps;
  counts?: BatchSummary['counts'];
  outputsReady?: number;
  /** Before the title, on its line. */
  breadcrumb?: ReactNode;
  /** The batch's own actions (add jobs), at the end of the title's line before the freshness. */
  actions?: ReactNode;
  /** On a line under the figures (the insight's one-line summary). */
  children?: ReactNode;
}) {
  const [renaming, setRenaming] = useState(false);
  const progress = batchProgress(batch, counts);
  const stale = freshness.view.stale !== null;
  return (
    // Compact on purpose: a laptop shows the header, the chips and 12 rows without scrolling the page.
    <header className="flex flex-col gap-1.5">
      <div className="flex flex-wrap items-center justify-between gap-x-3 gap-y-1">
        <div className="flex min-w-0 flex-wrap items-center gap-x-2 gap-y-0.5">
          {breadcrumb}
          <h1 className="min-w-0 truncate text-lg font-semibold sm:text-xl">{batch.name}</h1>
          <Button size="sm" variant="ghost" onClick={() => setRenaming(true)} aria-label={`Rename batch ${batch.name}`}>
            Rename
          </Button>
          <p className="text-xs text-slate-600 dark:text-slate-400">Created {formatDateTime(batch.createdAt)}</p>
        </div>
        <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
          {actions}
          <Freshness {...freshness} />
        </div>
      </div>
      <StaleNote {...freshness} />
      {/*
        Stale figures lose their colours and get a dashed frame (the note above says why), never as if live. Not
        faded: the text keeps its contrast.
      */}
      <div
        data-stale={stale || undefined}
        className={`flex flex-col gap-1.5 ${stale ? 'rounded-md outline-2 outline-offset-4 outline-amber-500 outline-dashed grayscale' : ''}`}
      >
        {/* The bar, its key and the figures share a line where the width allows: every line costs a laptop rows. */}
        <div className="flex flex-wrap items-center gap-x-4 gap-y-1">
          <div className="flex min-w-48 flex-1 items-center gap-3">
            <StatusBar counts={counts} className="h-2.5 flex-1" />
            <span
              role="progressbar"
              aria-label="Batch progress"
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={progress.percent}
              aria-valuetext={progress.valueText}
              className="text-sm font-semibold tabular-nums"
            >
              {progress.text}
            </span>
          </div>
          <StatusLegend counts={counts} />
          {/* Running, queued and failed counts are in the legend above and on the filter chips. */}
          <dl className="flex flex-wrap gap-x-4 gap-y-1 text-xs">
            {/* Of the measured jobs, like the percent beside it: deleted or unknown ids are not work left to do. */}
            <Stat
              label="Done"
              value={`${progress.done.toLocaleString()} of ${progress.measured.toLocaleString()}`}
              note={progress.excluded > 0 ? { short: `${progress.excluded.toLocaleString()} not counted`, full: `${plural(progress.excluded, 'job')} gone or forbidden, not counted` } : undefined}
            />
            <Stat label="Outputs" value={`${outputsReady.toLocaleString()} of ${plural(batch.jobCount, 'output')} ready`} />
            <Stat label="Input" value={formatBytes(batch.inputBytes)} />
            <Stat label="Output" value={formatBytes(batch.outputBytes)} />
            <Stat label="Credits" value={String(batch.credits)} />
          </dl>
        </div>
        {children && <div className="flex flex-wrap items-center gap-x-6 gap-y-1">{children}</div>}
      </div>
      <RenameBatchDialog batchId={batch.id} currentName={batch.name} open={renaming} onClose={() => setRenaming(false)} />
    </header>
  );
}
