import { lazy, Suspense } from 'react';
import { Link } from 'react-router-dom';
import type { BatchInsight } from '../../../../contract/insight-api.ts';
import { isFiltered, jobFilterParams, type JobFilter } from '../../../../contract/job-filter.ts';
import { buttonClasses } from '../../../components/ui/button.tsx';
import { paths } from '../../../config/paths.ts';
import { formatDuration, shortId } from '../../../lib/format.ts';
import { useInsight } from '../api/get-insight.ts';
import { etaText, stallRuleText, timingText } from '../insight-format.ts';
import { BatchNotificationsToggle } from './batch-notifications.tsx';
import { FailureGroups } from './failure-groups.tsx';

// uPlot comes with the charts, and only to pages that draw them.
const InsightCharts = lazy(() => import('./insight-charts.tsx'));

export interface InsightPanelProps {
  batchId: string;
  batchName: string;
  /** The page's current filter, for "Export filtered" (the export selects with the same rule). */
  filter: JobFilter;
  onSelect: (ids: string[]) => void;
  /** Whether a failed job can be sent again from its source on the server (the failure groups' Retry). */
  canRetry?: (jobId: string) => boolean;
}

function exportHref(batchId: string, format: 'csv' | 'json', filter?: JobFilter): string {
  const query = filter ? jobFilterParams(filter).toString() : '';
  return `/api/batches/${encodeURIComponent(batchId)}/export.${format}${query ? `?${query}` : ''}`;
}

export function ExportLinks({ batchId, filter }: { batchId: string; filter: InsightPanelProps['filter'] }) {
  const filtered = isFiltered(filter);
  return (
    <div role="group" aria-label="Export" className="flex items-center gap-1.5">
      <a className={buttonClasses('secondary', 'sm')} href={exportHref(batchId, 'csv')} download>
        Export CSV
      </a>
      <a className={buttonClasses('secondary', 'sm')} href={exportHref(batchId, 'json')} download>
        Export JSON
      </a>
      {filtered && (
        <a className={buttonClasses('ghost', 'sm')} href={exportHref(batchId, 'csv', filter)} download>
          Export filtered (CSV)
        </a>
      )}
    </div>
  );
}

function Stat({ label, value, title }: { label: string; value: string; title?: string }) {
  return (
    <div className="flex flex-col" title={title}>
      <dt className="text-xs text-slate-500 dark:text-slate-400">{label}</dt>
      <dd className="text-sm font-medium tabular-nums">{value}</dd>
    </div>
  );
}

function Thresholds({ rules }: { rules: BatchInsight['rules'] }) {
  return (
    <details className="text-xs text-slate-600 dark:text-slate-400">
      <summary className="cursor-pointer">How are “Stalled?” and the ETA decided?</summary>
      <ul className="mt-1 list-disc pl-5">
        <li>{stallRuleText(rules)}</li>
        <li>The queue is flagged when no job changed state for {formatDuration(rules.queueStallMs)} while the Convert API answers normally.</li>
        <li>
          The ETA divides what is left (waiting, queued and running jobs) by the completions of the last 10 minutes; it appears after 5
          completions, shows a 90 % range, and says “stalled” when nothing finished for 5 minutes.
        </li>
        <li>Wait: submitted → first seen running. Run: first seen running → first seen finished. Both as observed by the server's polls.</li>
      </ul>
    </details>
  );
}

/** ETA, timings, stalls, charts and failure groups of one batch (everything from `/api/batches/:id/insight`). */
export function InsightPanel({ batchId, batchName, filter, onSelect, canRetry }: InsightPanelProps) {
  const insight = useInsight(batchId);
  const data = insight.data;
  if (!data) {
    return insight.error ? <p className="text-sm text-slate-500">Insight is not available right now.</p> : null;
  }
  const now = Date.parse(data.serverTime);
  const eta = etaText(data.eta, now);
  return (
    <section aria-label="Batch insight" className="flex flex-col gap-3">
      <div className="flex flex-wrap items-start gap-x-8 gap-y-2">
        <div className="min-w-0">
          <p
            role="status"
            aria-label="Estimated completion"
            className={`text-base font-semibold ${eta.tone === 'warning' ? 'text-amber-700 dark:text-amber-400' : ''}`}
          >
            {eta.text}
          </p>
          <p className="text-xs text-slate-600 dark:text-slate-400">{eta.detail}</p>
        </div>
        <dl className="flex flex-wrap gap-x-8 gap-y-2">
          <Stat label="Wait (median · p95)" value={timingText(data.wait)} title={`${data.wait.count} jobs observed`} />
          <Stat label="Run (median · p95)" value={timingText(data.run)} title={`${data.run.count} jobs observed`} />
        </dl>
        <div className="ml-auto flex flex-wrap items-center gap-2">
          <BatchNotificationsToggle batchId={batchId} batchName={batchName} insight={data} />
          <ExportLinks batchId={batchId} filter={filter} />
        </div>
      </div>
      {data.queueStalled && (
        <p role="alert" className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:bg-amber-950 dark:text-amber-200">
          The queue has not moved for {formatDuration(data.queueStalled.sinceMs)}. {data.queueStalled.reason}
        </p>
      )}
      {data.stalled.length > 0 && (
        <div className="flex flex-wrap items-center gap-2 text-sm">
          <span className="rounded-full bg-amber-100 px-2 py-0.5 text-xs font-semibold text-amber-900 ring-1 ring-amber-300 dark:bg-amber-950 dark:text-amber-200 dark:ring-amber-700">
            {data.stalled.length} Stalled?
          </span>
          {data.stalled.slice(0, 5).map((s) => (
            <Link key={s.jobId} to={paths.batchJob.getHref(batchId, s.jobId)} className="text-xs underline" title={s.reason}>
              {shortId(s.jobId)}: no progress for {formatDuration(s.unchangedMs)}
            </Link>
          ))}
          <button type="button" className="text-xs underline" onClick={() => onSelect(data.stalled.map((s) => s.jobId))}>
            Select stalled
          </button>
        </div>
      )}
      <Thresholds rules={data.rules} />
      <Suspense fallback={<p className="h-56 text-sm text-slate-500">Loading charts…</p>}>
        <InsightCharts insight={data} />
      </Suspense>
      <FailureGroups batchId={batchId} groups={data.failureGroups} onSelect={onSelect} canRetry={canRetry} />
    </section>
  );
}
