import { VIEW_STATES, type ViewCounts } from '../../../../contract/dashboard-api.ts';
import { STATE_STYLES } from '../../../lib/status-style.ts';

export function countsSummary(counts: ViewCounts): string {
  const parts = VIEW_STATES.filter((s) => counts[s] > 0).map((s) => `${counts[s].toLocaleString()} ${STATE_STYLES[s].label.toLowerCase()}`);
  return parts.length ? parts.join(', ') : 'no jobs';
}

/** A stacked bar of the job states; its text alternative lists the counts. */
export function StatusBar({ counts, className = 'h-2 w-full' }: { counts: ViewCounts; className?: string }) {
  const total = VIEW_STATES.reduce((n, s) => n + counts[s], 0);
  return (
    <div role="img" aria-label={`Job states: ${countsSummary(counts)}`} className={`flex overflow-hidden rounded-full bg-slate-200 dark:bg-slate-800 ${className}`}>
      {total > 0 &&
        VIEW_STATES.filter((s) => counts[s] > 0).map((s) => (
          <div key={s} className={STATE_STYLES[s].bar} style={{ width: `${(counts[s] / total) * 100}%` }} title={`${STATE_STYLES[s].label}: ${counts[s]}`} />
        ))}
    </div>
  );
}

/** The bar's key: each present state's swatch (same fill, stripes included) with its count, "3 gone". */
export function StatusLegend({ counts, className = '' }: { counts: ViewCounts; className?: string }) {
  const present = VIEW_STATES.filter((s) => counts[s] > 0);
  return (
    <p className={`flex flex-wrap gap-x-3 gap-y-0.5 text-xs text-slate-600 dark:text-slate-400 ${className}`}>
      {present.length === 0 && 'no jobs'}
      {present.map((s) => (
        <span key={s} className="inline-flex items-center gap-1 whitespace-nowrap">
          <span aria-hidden="true" className={`inline-block size-2 rounded-full ${STATE_STYLES[s].bar}`} />
          {counts[s].toLocaleString()} {STATE_STYLES[s].label.toLowerCase()}
        </span>
      ))}
    </p>
  );
}
