import { useEffect, useRef, type CSSProperties } from 'react';
import type { StalledJob } from '../../../../contract/insight-api.ts';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { BatchJobs } from '../../../lib/batch-jobs.ts';
import { useReportView } from '../../../lib/api/batch-stream.ts';
import { focusRing } from '../../../components/ui/button.tsx';
import { plural } from '../../../lib/format.ts';
import { OPTIONAL_COLUMNS, SORTS, type JobSort, type OptionalColumn } from '../job-view.ts';
import { ROW_HEIGHTS, useRowLayout } from '../row-layout.ts';
import { CELL_PLACE, JOB_GRID, JobRow, OPTIONAL_CELL_PLACE } from './job-row.tsx';

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
  /** The current sort; with `onSort`, the headers of sortable columns are buttons. */
  sort?: JobSort;
  onSort?: (sort: JobSort) => void;
  /** Optional columns shown (wait, run), in order. */
  columns?: readonly OptionalColumn[];
  /** Jobs the server judges *Stalled?*, by id. */
  stalled?: ReadonlyMap<string, StalledJob>;
}

interface Header {
  label: string;
  /** Where its cells sit per layout; a header whose cells share another's place in a narrow layout is kept for
   * assistive technology but not shown there. */
  place: string;
  sort?: JobSort;
  title?: string;
}

const HEADERS_BEFORE: Header[] = [
  { label: 'File', sort: 'name', place: CELL_PLACE.file },
  { label: 'Status', sort: 'status', place: `${CELL_PLACE.status} max-md:sr-only` },
  { label: 'Progress', sort: 'progress', place: `${CELL_PLACE.progress} max-xl:sr-only` },
  { label: 'Input → output', place: CELL_PLACE.io },
  { label: 'Credits', place: CELL_PLACE.credits },
  { label: 'Expires in', sort: 'expires', place: `${CELL_PLACE.expires} max-md:sr-only` },
];
const HEADERS_AFTER: Header[] = [{ label: 'Actions', place: `${CELL_PLACE.actions} max-md:sr-only` }];

/** Which way each sort orders, for `aria-sort` (status follows the order of urgency, not the alphabet). */
const ARIA_SORT: Record<JobSort, 'ascending' | 'descending' | 'other'> = {
  added: 'descending',
  status: 'other',
  progress: 'descending',
  expires: 'ascending',
  name: 'ascending',
  wait: 'descending',
  run: 'descending',
};
const SORT_ARROW = { ascending: '↑', descending: '↓', other: '↕' } as const;
const OPTIONAL_WIDTH = '5rem';
const NO_STALLS: ReadonlyMap<string, StalledJob> = new Map();
const NO_COLUMNS: readonly OptionalColumn[] = [];

function ColumnHeader({ header, sort, onSort }: { header: Header; sort?: JobSort; onSort?: (sort: JobSort) => void }) {
  const sorted = header.sort !== undefined && header.sort === sort;
  if (!header.sort || !onSort) {
    return (
      <div role="columnheader" title={header.title} className={header.place}>
        {header.label}
      </div>
    );
  }
  const target = header.sort;
  return (
    <div role="columnheader" aria-sort={sorted ? ARIA_SORT[target] : undefined} className={header.place}>
      <button
        type="button"
        // A second click on the sorted column goes back to the default order (newest first).
        onClick={() => onSort(sorted ? 'added' : target)}
        title={sorted ? `Sorted: ${SORTS[target]}. Click for the default order (${SORTS.added}).` : `Sort: ${SORTS[target]}${header.title ? `. ${header.title}` : ''}`}
        className={`inline-flex items-center gap-1 rounded hover:text-slate-900 dark:hover:text-slate-100 ${focusRing} ${sorted ? 'text-slate-900 dark:text-slate-100' : ''}`}
      >
        {header.label}
        <span aria-hidden="true" className={sorted ? '' : 'opacity-0'}>
          {SORT_ARROW[ARIA_SORT[target]]}
        </span>
      </button>
    </div>
  );
}

/**
 * A virtualised ARIA table: only the visible rows are in the DOM, so `aria-rowcount` and `aria-rowindex`
 * tell assistive technology where each rendered row sits in the whole list.
 */
export function JobTable({
  label,
  jobs,
  rows,
  selectedCount,
  batchId,
  serverOffsetMs,
  selected,
  onToggle,
  onToggleAll,
  emptyMessage,
  sort,
  onSort,
  columns = NO_COLUMNS,
  stalled = NO_STALLS,
}: JobTableProps) {
  const scroller = useRef<HTMLDivElement>(null);
  // Keyed by position (the default): rows have a fixed height per layout, so nothing is measured per key, and no
  // key per row is kept for all 10,000. React keys below are the job ids of the rows on screen.
  const layout = useRowLayout();
  const rowHeight = ROW_HEIGHTS[layout];
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => rowHeight,
    overscan: 8,
  });
  // The window crossed a breakpoint: every row changed height.
  useEffect(() => virtualizer.measure(), [virtualizer, rowHeight]);
  const allSelected = rows.length > 0 && selectedCount === rows.length;
  const items = virtualizer.getVirtualItems();
  useReportView(batchId, items.filter((item) => item.index < rows.length).map((item) => jobs.id(rows[item.index])));

  return (
    <div
      role="table"
      aria-label={label}
      aria-rowcount={rows.length + 1}
      style={{ '--job-optional-cols': columns.map(() => OPTIONAL_WIDTH).join(' ') } as CSSProperties}
      // On a phone the page scrolls and the table keeps most of a screen for its own scrolling; from a tablet up
      // it takes the height the page leaves (never less than a few rows).
      className="flex h-[85dvh] flex-col overflow-hidden rounded-lg border border-slate-200 bg-white md:h-auto md:min-h-64 md:flex-1 dark:border-slate-800 dark:bg-slate-950"
    >
      <div role="rowgroup">
        <div
          role="row"
          aria-rowindex={1}
          className={`${JOB_GRID} h-8 border-b border-slate-200 bg-slate-50 text-xs font-medium text-slate-600 dark:border-slate-800 dark:bg-slate-900 dark:text-slate-400`}
        >
          <div role="columnheader" className={CELL_PLACE.select}>
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
          {[
            ...HEADERS_BEFORE,
            ...columns.map((c): Header => ({ label: OPTIONAL_COLUMNS[c].label, sort: c, title: OPTIONAL_COLUMNS[c].description, place: OPTIONAL_CELL_PLACE })),
            ...HEADERS_AFTER,
          ].map((header) => (
            <ColumnHeader key={header.label} header={header} sort={sort} onSort={onSort} />
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
                  // Contained: a live change inside one row (a percent, a badge) lays out that row, not the whole table.
                  className="absolute top-0 left-0 w-full [contain:size_layout_style]"
                  style={{ height: item.size, transform: `translateY(${item.start}px)` }}
                >
                  <JobRow
                    job={job}
                    batchId={batchId}
                    serverOffsetMs={serverOffsetMs}
                    selected={selected.has(job.id)}
                    onToggle={onToggle}
                    rowIndex={item.index + 2}
                    columns={columns}
                    stalled={stalled.get(job.id) ?? null}
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
