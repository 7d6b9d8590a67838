import { focusRing } from '../../../components/ui/button.tsx';
import { OPTIONAL_COLUMNS, type OptionalColumn } from '../job-view.ts';

export interface ColumnTogglesProps {
  value: readonly OptionalColumn[];
  onChange: (columns: OptionalColumn[]) => void;
}

/** Check boxes that add the optional columns (wait and run times) to the job table. */
export function ColumnToggles({ value, onChange }: ColumnTogglesProps) {
  const all = Object.keys(OPTIONAL_COLUMNS) as OptionalColumn[];
  return (
    <div role="group" aria-label="Optional columns" className="flex items-center gap-2 text-xs text-slate-600 dark:text-slate-400">
      <span aria-hidden="true">Columns:</span>
      {all.map((column) => (
        <label key={column} className="flex items-center gap-1" title={OPTIONAL_COLUMNS[column].description}>
          <input
            type="checkbox"
            checked={value.includes(column)}
            // Kept in table order whatever order they were ticked in.
            onChange={(e) => onChange(all.filter((c) => (c === column ? e.target.checked : value.includes(c))))}
            className={`size-3.5 rounded accent-blue-600 ${focusRing}`}
          />
          {OPTIONAL_COLUMNS[column].label} time
        </label>
      ))}
    </div>
  );
}
