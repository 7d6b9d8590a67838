import { VIEW_STATES, type ViewCounts, type ViewState } from '../../../../contract/dashboard-api.ts';
import { focusRing } from '../../../components/ui/button.tsx';
import { STATE_STYLES } from '../../../lib/status-style.ts';

export interface StatusFilterProps {
  counts: ViewCounts;
  total: number;
  value: ViewState | null;
  onChange: (value: ViewState | null) => void;
}

export const chipClass = (active: boolean) =>
  `inline-flex h-7 items-center gap-1 rounded-full border px-2.5 text-xs font-medium ${focusRing} ${
    active
      ? 'border-slate-900 bg-slate-900 text-white dark:border-slate-100 dark:bg-slate-100 dark:text-slate-900'
      : 'border-slate-300 bg-white text-slate-700 hover:bg-slate-50 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-300 dark:hover:bg-slate-800'
  }`;

/** Toggle buttons (`aria-pressed`) named like "Failed (3)"; states with no jobs are hidden unless selected. */
export function StatusFilter({ counts, total, value, onChange }: StatusFilterProps) {
  const chip = chipClass;
  return (
    <div role="group" aria-label="Filter by status" className="flex flex-wrap items-center gap-1.5">
      <button type="button" aria-pressed={value === null} className={chip(value === null)} onClick={() => onChange(null)}>
        All ({total})
      </button>
      {VIEW_STATES.filter((s) => counts[s] > 0 || s === value).map((s) => (
        <button key={s} type="button" aria-pressed={value === s} className={chip(value === s)} onClick={() => onChange(value === s ? null : s)}>
          <span aria-hidden="true">{STATE_STYLES[s].icon}</span>
          {STATE_STYLES[s].label} ({counts[s]})
        </button>
      ))}
    </div>
  );
}
