import { useId, useRef, useState } from 'react';
import { Button, focusRing } from '../../../components/ui/button.tsx';
import { OPTIONAL_COLUMNS, type OptionalColumn } from '../job-view.ts';

export interface ColumnTogglesProps {
  value: readonly OptionalColumn[];
  onChange: (columns: OptionalColumn[]) => void;
}

/**
 * A "Columns" button that folds out check boxes for the optional columns (wait and run times). Folded, it costs
 * the header one small button, so a laptop keeps its 12 rows. Escape or leaving the panel folds it again.
 */
export function ColumnToggles({ value, onChange }: ColumnTogglesProps) {
  const all = Object.keys(OPTIONAL_COLUMNS) as OptionalColumn[];
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  const panelId = useId();
  const shown = value.length > 0 ? ` (${value.length})` : '';
  return (
    <div
      ref={box}
      // The optional columns exist from the laptop layout up (job-row.tsx OPTIONAL_CELL_PLACE), and so does their menu.
      className="relative hidden xl:block"
      onKeyDown={(e) => {
        if (e.key === 'Escape' && open) {
          e.stopPropagation();
          setOpen(false);
          box.current?.querySelector('button')?.focus();
        }
      }}
      onBlur={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget)) setOpen(false);
      }}
    >
      <Button size="sm" variant="ghost" aria-expanded={open} aria-controls={panelId} onClick={() => setOpen(!open)}>
        Columns{shown}
        <span aria-hidden="true">▾</span>
      </Button>
      <div
        id={panelId}
        role="group"
        aria-label="Optional columns"
        hidden={!open}
        className="absolute right-0 z-30 mt-1 flex w-max flex-col gap-1.5 rounded-md border border-slate-200 bg-white p-2 text-sm shadow-lg dark:border-slate-700 dark:bg-slate-900"
      >
        {all.map((column) => (
          <label key={column} className="flex items-center gap-2">
            <input
              type="checkbox"
              checked={value.includes(column)}
              // Kept in table order whatever order they were ticked in.
              onChange={(e) => onChange(all.filter((c) => (c === column ? e.target.checked : value.includes(c))))}
              className={`size-4 rounded accent-blue-600 ${focusRing}`}
            />
            {OPTIONAL_COLUMNS[column].label} time
            <span className="text-xs text-slate-600 dark:text-slate-400">{OPTIONAL_COLUMNS[column].description.replace(/^\w+: /, '')}</span>
          </label>
        ))}
      </div>
    </div>
  );
}
