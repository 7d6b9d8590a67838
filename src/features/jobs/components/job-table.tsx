import { useRef } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { BatchJobs } from '../../../lib/batch-jobs.ts';
import { useReportView } from '../../../lib/api/batch-stream.ts';
import { focusRing } from '../../../components/ui/button.tsx';
import { plural } from '../../../lib/format.ts';
import { JOB_GRID, JobRow, ROW_HEIGHT } from './job-row.tsx';

export interface JobTableProps {
  label: string;
  jobs: BatchJobs;
  /** The rows to show, in order (positions in `jobs`). */
  rows: Uint32Array;
  /** How many of `rows` are selected. */
  selectedCount: number;
  batchId: string;
  serverOffsetMs: number;
  selected: ReadonlySet<string>;
  onToggle: (jobId: string) => void;
  onToggleAll: (select: boolean) => void;
  emptyMessage: string;
}

const HEADERS = ['File', 'Status', 'Progress', 'Input → output', 'Credits', 'Expires', 'Actions'];

/**
 * A virtualised ARIA table: only the visible rows are in the DOM, so `aria-rowcount` and `aria-rowindex`
 * tell assistive technology where each rendered row sits in the whole list.
 */
export function JobTable({ label, jobs, rows, selectedCount, batchId, serverOffsetMs, selected, onToggle, onToggleAll, emptyMessage }: JobTableProps) {
  const scroller = useRef<HTMLDivElement>(null);
  // Keyed by position (the default): rows have a fixed height, so nothing is measured per key, and no key per
  // row is kept for all 10,000. React keys below are the job ids of the rows on screen.
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
  });
  const allSelected = rows.length > 0 && selectedCount === rows.length;
  const items = virtualizer.getVirtualItems();
  useReportView(batchId, items.filter((item) => item.index < rows.length).map((item) => jobs.id(rows[item.index])));

  return (
    <div
      role="table"
      aria-label={label}
      aria-rowcount={rows.length + 1}
      className="flex min-h-0 flex-1 flex-col overflow-hidden rounded-lg border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-950"
    >
      <div role="rowgroup">
        <div
          role="row"
          aria-rowindex={1}
          className={`${JOB_GRID} h-9 border-b border-slate-200 bg-slate-50 text-xs font-medium text-slate-600 dark:border-slate-800 dark:bg-slate-900 dark:text-slate-400`}
        >
          <div role="columnheader">
            <input
              type="checkbox"
              aria-label={`Select all ${plural(rows.length, 'matching job')}`}
              checked={allSelected}
              ref={(el) => {
                if (el) el.indeterminate = selectedCount > 0 && !allSelected;
              }}
              disabled={rows.length === 0}
              onChange={() => onToggleAll(!allSelected)}
              className={`size-4 rounded accent-blue-600 ${focusRing}`}
            />
          </div>
          {HEADERS.map((header) => (
            <div key={header} role="columnheader">
              {header}
            </div>
          ))}
        </div>
      </div>
      <div ref={scroller} className="min-h-0 flex-1 overflow-auto" data-testid="job-table-scroller">
        {rows.length === 0 ? (
          <p className="p-8 text-center text-sm text-slate-500 dark:text-slate-400">{emptyMessage}</p>
        ) : (
          <div role="rowgroup" className="relative w-full" style={{ height: virtualizer.getTotalSize() }}>
            {items.map((item) => {
              const job = jobs.job(rows[item.index]);
              return (
                <div
                  key={job.id}
                  className="absolute top-0 left-0 w-full"
                  style={{ height: item.size, transform: `translateY(${item.start}px)` }}
                >
                  <JobRow
                    job={job}
                    batchId={batchId}
                    serverOffsetMs={serverOffsetMs}
                    selected={selected.has(job.id)}
                    onToggle={onToggle}
                    rowIndex={item.index + 2}
                  />
                </div>
              );
            })}
          </div>
        )}
      </div>
    </div>
  );
}
