import { VIEW_STATES, type ViewCounts, type ViewState } from '../../../../contract/dashboard-api.ts';
import { chipClass } from '../../../components/ui/chip.ts';
import { STATE_STYLES } from '../../../lib/status-style.ts';

export interface StatusFilterProps {
  counts: ViewCounts;
  total: number;
  value: ViewState | null;
  onChange: (value: ViewState | null) => void;
}

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
