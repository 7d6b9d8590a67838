import { useCallback, useDeferredValue, useMemo, useRef, useState } from 'react';
import { useDropzone } from 'react-dropzone';
import { Link, useParams, useSearchParams } from 'react-router-dom';
import { VIEW_STATES, type ReceiptFilter, type ViewCounts, type ViewState } from '../../../contract/dashboard-api.ts';
import { DONE_STATES, countIn } from '../../../contract/tracked-state.ts';
import { Banner } from '../../components/ui/banner.tsx';
import { Button, buttonClasses, focusRing } from '../../components/ui/button.tsx';
import { inputSmall } from '../../components/ui/field.tsx';
import { paths } from '../../config/paths.ts';
import { ApiError } from '../../lib/api-client.ts';
import { ERROR_MESSAGES, describeError } from '../../lib/error-messages.ts';
import { ErrorCode } from '../../../contract/errors.ts';
import { snapshotPollInterval } from '../../lib/polling.ts';
import { plural } from '../../lib/format.ts';
import { useBatch } from '../../features/batches/api/get-batch.ts';
import { useBatchStream } from '../../lib/api/batch-stream.ts';
import { canSendAgain } from '../../lib/api/submit-file.ts';
import { AddIdsDialog } from '../../features/batches/components/add-ids-dialog.tsx';
import { BatchHeader } from '../../features/batches/components/batch-header.tsx';
import { OutputsBar, ReceiptChips } from '../../features/batches/components/outputs-bar.tsx';
import { StatusFilter } from '../../features/batches/components/status-filter.tsx';
import { useOutputSummary, useVisibleRows } from '../../features/jobs/use-output-summary.ts';
import { UploadPanel, useUploads } from '../../features/batches/components/upload-panel.tsx';
import { UpstreamBanner } from '../../features/batches/components/upstream-banner.tsx';
import { CopyIdsButton } from '../../features/insight/components/copy-ids-button.tsx';
import { useInsightFollowsBatch, useInsightStalls } from '../../features/insight/api/get-insight.ts';
import { InsightDetails, InsightSummary, InsightTools, useInsightOpen } from '../../features/insight/components/insight-panel.tsx';
import { StalledChip } from '../../features/insight/components/stalled-chip.tsx';
import { ColumnToggles } from '../../features/jobs/components/column-toggles.tsx';
import { freshnessView } from '../../features/batches/freshness-state.ts';
import { batchProgress } from '../../features/batches/batch-progress.ts';
import { useBatchAnnouncements } from '../../features/batches/use-batch-announcements.ts';
import { usePageVisible } from '../../lib/use-page-visible.ts';
import { useRovingToolbar } from '../../lib/use-roving-toolbar.ts';
import { useSearchDraft } from '../../lib/use-search-draft.ts';
import { useConnectionLost } from '../network-banner.tsx';
import { useTabProgress } from '../../features/insight/use-tab-progress.ts';
import { BulkActions } from '../../features/jobs/components/bulk-actions.tsx';
import { JobTable } from '../../features/jobs/components/job-table.tsx';
import { SORTS, parseJobView } from '../../features/jobs/job-view.ts';

const EMPTY_VIEW_COUNTS: ViewCounts = Object.fromEntries(VIEW_STATES.map((state) => [state, 0])) as ViewCounts;
const EMPTY_SUMMARY = { jobCount: 0, counts: EMPTY_VIEW_COUNTS, progressPercent: 0 };

/** The skip link moves focus itself: a fragment in the address would be taken for a route by the router. */
function skipPastTable(event: React.MouseEvent<HTMLAnchorElement>) {
  event.preventDefault();
  document.getElementById('jobs-end')?.focus();
}

export function BatchRoute() {
  const { batchId = '' } = useParams();
  const batch = useBatch(batchId);
  const streamDroppedAt = useBatchStream(batchId, Boolean(batch.data && !batch.data.loadingRows));
  const visible = usePageVisible();
  const [params, setParams] = useSearchParams();
  const view = parseJobView(params);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [dialog, setDialog] = useState<'ids' | null>(null);
  const uploads = useUploads(batchId);
  // Files and folders dropped anywhere on the page (react-dropzone reads folders through file-selector).
  const dropzone = useDropzone({ onDrop: uploads.add, noClick: true, noKeyboard: true });
  const folderInput = useRef<HTMLInputElement>(null);
  const [insightOpen, setInsightOpen] = useInsightOpen();

  const setParam = useCallback(
    (key: string, value: string | null) => {
      setParams(
        (current) => {
          const next = new URLSearchParams(current);
          if (value) next.set(key, value);
          else next.delete(key);
          return next;
        },
        { replace: key === 'q' },
      );
    },
    [setParams],
  );
  const writeSearch = useCallback((value: string) => setParam('q', value || null), [setParam]);
  const [search, setSearch] = useSearchDraft(view.query, writeSearch);
  const query = useDeferredValue(search);
  const toolbar = useRovingToolbar<HTMLDivElement>();

  const snapshot = batch.data?.snapshot;
  // The same query as the insight panel's (one fetch): which jobs are Stalled?, for the rows and the chip.
  const insight = useInsightStalls(batchId);
  useInsightFollowsBatch(batchId, snapshot ? JSON.stringify(snapshot.batch.counts) : null);
  const stalledJobs = insight.data?.stalled;
  const stalledById = useMemo(() => new Map((stalledJobs ?? []).map((s) => [s.jobId, s])), [stalledJobs]);
  const onlyStalled = useMemo(() => (view.stalled ? new Set(stalledById.keys()) : null), [view.stalled, stalledById]);
  const columns = useMemo(() => parseJobView(params).columns, [params]);
  const { summary: outputSummary, serverNow } = useOutputSummary(snapshot?.jobs, batch.data?.serverOffsetMs ?? 0);
  const rows = useVisibleRows(snapshot?.jobs, { status: view.status, query, sort: view.sort, receipt: view.receipt, only: onlyStalled }, serverNow, outputSummary?.nextChangeMs ?? null);
  // The selection is held as ids (they outlive a snapshot); here they become rows of the current one.
  const selectedRows = useMemo(() => {
    if (!snapshot) return new Uint32Array(0);
    const found: number[] = [];
    for (const id of selected) {
      const row = snapshot.jobs.indexOf(id);
      if (row >= 0) found.push(row);
    }
    return Uint32Array.from(found).sort();
  }, [snapshot, selected]);
  const selectedJobs = useMemo(() => (snapshot ? Array.from(selectedRows, (row) => snapshot.jobs.materialize(row)) : []), [snapshot, selectedRows]);
  const selectedVisible = useMemo(() => {
    if (!snapshot || selectedRows.length === 0) return 0;
    const isSelected = new Uint8Array(snapshot.jobs.length);
    for (const row of selectedRows) isSelected[row] = 1;
    let count = 0;
    for (const row of rows) count += isSelected[row];
    return count;
  }, [snapshot, selectedRows, rows]);
  const canRetry = useCallback(
    (jobId: string) => {
      const row = snapshot ? snapshot.jobs.indexOf(jobId) : -1;
      return row >= 0 && canSendAgain(snapshot!.jobs.job(row));
    },
    [snapshot],
  );
  const onToggle = useCallback((jobId: string) => {
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(jobId)) next.delete(jobId);
      else next.add(jobId);
      return next;
    });
  }, []);
  const onToggleAll = useCallback(
    (select: boolean) => setSelected(select && snapshot ? new Set(Array.from(rows, (row) => snapshot.jobs.id(row))) : new Set()),
    [rows, snapshot],
  );

  const summaryOfTab = batch.data?.snapshot.batch;
  useTabProgress(summaryOfTab?.progressPercent ?? 0, (summaryOfTab?.counts.Failed ?? 0) > 0);
  const connectionLost = useConnectionLost();
  const freshness = freshnessView({
    // An open event stream may not notice a lost connection: the layout's banner and this line agree.
    error: batch.error ?? (connectionLost ? new ApiError(0, ErrorCode.networkError, null) : null),
    // A dropped stream is replaced by polling: stale until a fetch after the drop has worked.
    streamDropped: streamDroppedAt !== null && batch.dataUpdatedAt < streamDroppedAt,
    polling: streamDroppedAt !== null,
    upstream: snapshot?.upstream ?? { state: 'unknown' },
    visible,
    changing: snapshot ? snapshotPollInterval(snapshot) !== false : true,
    hasJobs: (snapshot?.jobs.length ?? 0) > 0,
  });
  const viewCounts = outputSummary?.counts ?? summaryOfTab?.counts ?? EMPTY_VIEW_COUNTS;
  useBatchAnnouncements(batchId, summaryOfTab?.name ?? '', viewCounts, batchProgress(summaryOfTab ?? EMPTY_SUMMARY, viewCounts), freshness);

  if (!batch.data) {
    if (batch.error) {
      const notFound = batch.error instanceof ApiError && batch.error.status === 404;
      const { message, next } = describeError(batch.error);
      return (
        <div className="mx-auto mt-12 flex max-w-lg flex-col gap-3">
          <title>Batch not available · Convert batches</title>
          <h1 className="text-xl font-semibold">{notFound ? 'Batch not found' : 'Batch not available'}</h1>
          <Banner title={notFound ? ERROR_MESSAGES[ErrorCode.batchNotFound].message : 'The batch could not be loaded'}>
            {notFound ? null : `${message} ${next}`}
          </Banner>
          <Link to={paths.batches.getHref()} className={`${buttonClasses('secondary')} self-start`}>
            Back to batches
          </Link>
        </div>
      );
    }
    return (
      <p role="status" className="text-sm text-slate-600 dark:text-slate-400">
        Loading batch…
      </p>
    );
  }

  const { batch: summary, upstream, jobs } = batch.data.snapshot;
  const counts = outputSummary?.counts ?? summary.counts;
  const done = countIn(counts, DONE_STATES) + counts.Expired;
  // Files still going up from this tab count too: the title never reads "done" while some are missing.
  const total = summary.jobCount + uploads.pendingCount;
  return (
    <div {...dropzone.getRootProps({ className: 'relative flex min-h-0 flex-1 flex-col gap-2' })}>
      <input {...dropzone.getInputProps()} aria-label="Files to upload" data-testid="upload-input" />
      <input
        ref={folderInput}
        type="file"
        className="hidden"
        aria-label="Folder to upload"
        // Not in React's types; Chromium, Firefox and Safari all read it.
        {...{ webkitdirectory: '' }}
        onChange={(e) => {
          uploads.add(Array.from(e.target.files ?? []));
          e.target.value = '';
        }}
      />
      {dropzone.isDragActive && (
        <div className="pointer-events-none absolute inset-0 z-20 flex items-center justify-center rounded-lg border-2 border-dashed border-blue-500 bg-blue-50/80 text-lg font-medium text-blue-900 dark:bg-blue-950/80 dark:text-blue-100">
          Drop files or folders to convert them in this batch
        </div>
      )}
      <title>{`${summary.counts.Failed > 0 ? '✕ ' : ''}${done}/${total} done · ${summary.name}`}</title>
      <UpstreamBanner upstream={upstream} />
      <BatchHeader
        batch={summary}
        counts={counts}
        outputsReady={outputSummary?.ready}
        breadcrumb={
          <nav aria-label="Breadcrumb" className="text-sm text-slate-600 dark:text-slate-400">
            <Link to={paths.batches.getHref()} className="hover:underline">
              Batches
            </Link>
            <span aria-hidden="true"> /</span>
          </nav>
        }
        actions={
          <>
            <Button size="sm" onClick={() => setDialog('ids')}>Add job ids</Button>
            <Button size="sm" onClick={dropzone.open}>Upload files</Button>
            <Button size="sm" onClick={() => folderInput.current?.click()}>Upload a folder</Button>
          </>
        }
        freshness={{
          // The tracker's latest look at the batch (a poll that saw nothing new moves only this), else the fetch.
          updatedAt: batch.data.snapshot.checkedAt ? Date.parse(batch.data.snapshot.checkedAt) - batch.data.serverOffsetMs : batch.dataUpdatedAt,
          view: freshness,
        }}
      >
        <InsightSummary batchId={summary.id} open={insightOpen} onOpenChange={setInsightOpen} />
        {/* Beside the batch's wait and run times, folded: a laptop still shows 12 rows. */}
        <ColumnToggles value={columns} onChange={(cols) => setParam('cols', cols.join(',') || null)} />
      </BatchHeader>
      {/* Wide screens: the unfolded charts and failures beside the table; narrower ones: above it. */}
      <div className="flex min-h-0 flex-1 flex-col gap-2 2xl:flex-row 2xl:gap-4">
        {insightOpen && (
          <InsightDetails
            batchId={summary.id}
            onSelect={(ids) => setSelected(new Set(ids))}
            canRetry={canRetry}
            className="2xl:order-last 2xl:w-[28rem] 2xl:shrink-0 2xl:overflow-y-auto"
          />
        )}
        <div className="flex min-h-0 min-w-0 flex-1 flex-col gap-1.5">
          {outputSummary && (
            <OutputsBar
              batchId={summary.id}
              outputs={batch.data.snapshot.outputs}
              summary={outputSummary}
              filter={{ status: view.status, q: query, receipt: view.receipt }}
              filtered={view.status !== null || view.receipt !== null || query.trim() !== ''}
            >
              <InsightTools batchId={summary.id} batchName={summary.name} filter={{ status: view.status, receipt: view.receipt, query, stalledOnly: view.stalled }} />
            </OutputsBar>
          )}
          <div className="flex flex-wrap items-center gap-2">
            {/* The filter chips: one Tab stop, the arrow keys between them. The search box and the select need the arrow keys, so they sit beside it. */}
            <div role="toolbar" aria-label="Jobs toolbar" {...toolbar} className="flex flex-wrap items-center gap-2">
              <StatusFilter counts={counts} total={jobs.length} value={view.status} onChange={(s: ViewState | null) => setParam('status', s)} />
              {outputSummary && (
                <ReceiptChips counts={outputSummary.receipts} value={view.receipt} onChange={(r: ReceiptFilter | null) => setParam('receipt', r)} />
              )}
              <StalledChip insight={insight.data} active={view.stalled} onChange={(on) => setParam('stalled', on ? '1' : null)} />
            </div>
            <div className="flex w-full flex-wrap items-center gap-2 sm:ml-auto sm:w-auto">
              <input
                type="search"
                aria-label="Search by id or file name"
                placeholder="Search id or file name"
                value={search}
                onChange={(e) => setSearch(e.target.value)}
                className={`${inputSmall} w-full min-w-0 sm:w-52`}
              />
              <label className="flex items-center gap-1.5 text-sm text-slate-600 dark:text-slate-400">
                Sort
                <select
                  value={view.sort}
                  onChange={(e) => setParam('sort', e.target.value === 'added' ? null : (e.target.value))}
                  className={`${inputSmall} w-48`}
                >
                  {Object.entries(SORTS).map(([value, label]) => (
                    <option key={value} value={value}>
                      {label}
                    </option>
                  ))}
                </select>
              </label>
            </div>
          </div>
          <UploadPanel state={uploads.panel} />
          <BulkActions batchId={summary.id} selectedJobs={selectedJobs} onClear={() => setSelected(new Set())} />
          {selected.size > 0 && (
            <div className="-mt-1 flex items-center gap-2">
              <CopyIdsButton ids={[...selected]} label={`Copy ${selected.size} selected ids`} />
            </div>
          )}
          <a href="#jobs-end" onClick={skipPastTable} className={`sr-only rounded px-2 py-1 text-sm font-medium focus:not-sr-only focus:self-start ${focusRing}`}>
            Skip past the jobs table
          </a>
          <JobTable
            label={`Jobs of ${summary.name}`}
            jobs={jobs}
            rows={rows}
            selectedCount={selectedVisible}
            batchId={summary.id}
            serverOffsetMs={batch.data.serverOffsetMs}
            selected={selected}
            onToggle={onToggle}
            onToggleAll={onToggleAll}
            emptyMessage={jobs.length === 0 ? 'This batch has no jobs yet. Add job ids, or drop files or folders here.' : 'No job matches the filter.'}
            sort={view.sort}
            onSort={(sort) => setParam('sort', sort === 'added' ? null : sort)}
            columns={columns}
            stalled={stalledById}
          />
          <p id="jobs-end" tabIndex={-1} className="sr-only">
            End of the jobs table: {plural(rows.length, 'job')} shown.
          </p>
        </div>
      </div>
      <AddIdsDialog batchId={summary.id} open={dialog === 'ids'} onClose={() => setDialog(null)} />
    </div>
  );
}
