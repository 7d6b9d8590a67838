import { lazy, Suspense, useCallback, useState } from 'react';
import { Link } from 'react-router-dom';
import type { BatchInsight } from '../../../../contract/insight-api.ts';
import { isFiltered, jobFilterParams, type JobFilter } from '../../../../contract/job-filter.ts';
import { Button, buttonClasses } from '../../../components/ui/button.tsx';
import { paths } from '../../../config/paths.ts';
import { formatDuration, shortId } from '../../../lib/format.ts';
import { useMediaQuery } from '../../../lib/use-media-query.ts';
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

function Thresholds({ rules }: { rules: BatchInsight['rules'] }) {
  return (
    <details className="text-xs text-slate-600 dark:text-slate-400">
      <summary className="cursor-pointer">How are “Stalled?” and the ETA decided?</summary>
      <ul className="mt-1 list-disc pl-5">
        <li>{stallRuleText(rules)}</li>
        <li>The queue is flagged when no job changed state for {formatDuration(rules.queueStallMs)} while the Convert API answers normally.</li>
        <li>
          The ETA divides what is left (waiting, queued and running jobs) by the completions of the last 10 minutes; it appears after{' '}
          {rules.etaMinCompletions} completions, shows a 90 % range, and says “stalled” when nothing finished for {formatDuration(rules.etaStallMinMs)}.
        </li>
        <li>Wait: submitted → first seen running. Run: first seen running → first seen finished. Both as observed by the server's polls.</li>
      </ul>
    </details>
  );
}

const OPEN_KEY = 'insight-open';
/** Wide screens have room for the charts beside the table; smaller ones start with them folded. */
const ROOM_FOR_DETAILS = '(min-width: 1536px)';

/**
 * Whether the charts and failure groups are unfolded: the operator's last choice (kept in this browser), else
 * open only where they sit beside the table, so a laptop shows rows first.
 */
export function useInsightOpen(): [boolean, (open: boolean) => void] {
  const roomy = useMediaQuery(ROOM_FOR_DETAILS);
  const [choice, setChoice] = useState<string | null>(() => localStorage.getItem(OPEN_KEY));
  const open = choice === null ? roomy : choice === '1';
  const setOpen = useCallback((next: boolean) => {
    localStorage.setItem(OPEN_KEY, next ? '1' : '0');
    setChoice(next ? '1' : '0');
  }, []);
  return [open, setOpen];
}

export const INSIGHT_DETAILS_ID = 'batch-insight-details';

/**
 * One line, always shown: the ETA, wait and run times, stalled jobs, and the switch that unfolds the details
 * (charts, failure groups); a stalled queue is said here too, folded or not.
 */
export function InsightSummary({ batchId, open, onOpenChange }: { batchId: string; open: boolean; onOpenChange: (open: boolean) => void }) {
  const insight = useInsight(batchId);
  const data = insight.data;
  if (!data) {
    return insight.error ? <p className="text-sm text-slate-500 dark:text-slate-400">Insight is not available right now.</p> : null;
  }
  const eta = etaText(data.eta, Date.parse(data.serverTime));
  return (
    <section aria-label="Batch insight" className="flex min-w-0 flex-col gap-2">
      <div className="flex min-w-0 flex-wrap items-center gap-x-4 gap-y-1">
        <Button size="sm" variant="ghost" aria-expanded={open} aria-controls={INSIGHT_DETAILS_ID} onClick={() => onOpenChange(!open)} className="-ml-2">
          <span aria-hidden="true" className={`inline-block transition-transform ${open ? 'rotate-90' : ''}`}>
            ▸
          </span>
          Charts and failures
        </Button>
        <p
          role="status"
          aria-label="Estimated completion"
          title={eta.detail}
          className={`text-sm font-semibold ${eta.tone === 'warning' ? 'text-amber-700 dark:text-amber-400' : ''}`}
        >
          {eta.text}
        </p>
        <dl className="flex flex-wrap gap-x-4 gap-y-1 text-xs">
          <InlineStat label="Wait" value={timingText(data.wait)} title={`Submitted → first seen running; ${data.wait.count} jobs observed`} />
          <InlineStat label="Run" value={timingText(data.run)} title={`First seen running → first seen finished; ${data.run.count} jobs observed`} />
        </dl>
        {data.stalled.length > 0 && (
          <span className="rounded-full bg-amber-100 px-2 py-0.5 text-xs font-semibold text-amber-900 ring-1 ring-amber-300 dark:bg-amber-950 dark:text-amber-200 dark:ring-amber-700">
            {data.stalled.length} Stalled?
          </span>
        )}
      </div>
      {data.queueStalled && (
        <p role="alert" className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:bg-amber-950 dark:text-amber-200">
          The queue has not moved for {formatDuration(data.queueStalled.sinceMs)}. {data.queueStalled.reason}
        </p>
      )}
    </section>
  );
}

function InlineStat({ label, value, title }: { label: string; value: string; title?: string }) {
  return (
    <div className="flex gap-1 whitespace-nowrap" title={title}>
      <dt className="text-slate-600 dark:text-slate-400">{label}</dt>
      <dd className="font-medium tabular-nums">{value}</dd>
    </div>
  );
}

/** Notifications and exports, beside the page's other batch-wide actions. */
export function InsightTools({ batchId, batchName, filter }: Pick<InsightPanelProps, 'batchId' | 'batchName' | 'filter'>) {
  const insight = useInsight(batchId);
  return (
    <div className="flex flex-wrap items-center gap-2">
      {insight.data && <BatchNotificationsToggle batchId={batchId} batchName={batchName} insight={insight.data} />}
      <ExportLinks batchId={batchId} filter={filter} />
    </div>
  );
}

/** What unfolds: how the ETA was reached, the stalled jobs, the rules, the charts and the failure groups. */
export function InsightDetails({ batchId, onSelect, canRetry, className = '' }: Pick<InsightPanelProps, 'batchId' | 'onSelect' | 'canRetry'> & { className?: string }) {
  const insight = useInsight(batchId);
  const data = insight.data;
  if (!data) return null;
  const eta = etaText(data.eta, Date.parse(data.serverTime));
  return (
    <section id={INSIGHT_DETAILS_ID} aria-label="Charts and failures" className={`@container flex min-w-0 flex-col gap-3 ${className}`}>
      <p className="text-xs text-slate-600 dark:text-slate-400">{eta.detail}</p>
      {data.stalled.length > 0 && (
        <div className="flex flex-wrap items-center gap-2 text-sm">
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
      <Suspense fallback={<p className="h-56 text-sm text-slate-500 dark:text-slate-400">Loading charts…</p>}>
        <InsightCharts insight={data} />
      </Suspense>
      <FailureGroups batchId={batchId} groups={data.failureGroups} onSelect={onSelect} canRetry={canRetry} />
    </section>
  );
}
