import { formatDuration } from '../../../lib/format.ts';
import { useNow } from '../../../lib/ticker.ts';
import { usePageVisible } from '../../../lib/use-page-visible.ts';

export interface FreshnessProps {
  updatedAt: number;
  failing: boolean;
  polling: boolean;
}

/** "Live · updated 3 s ago", "Paused (tab hidden)", "Reconnecting…": whether what is shown is current. */
export function Freshness({ updatedAt, failing, polling }: FreshnessProps) {
  const now = useNow();
  const visible = usePageVisible();
  const ago = updatedAt ? `updated ${formatDuration(Math.max(0, now - updatedAt))} ago` : 'not loaded yet';
  const [label, dot] = failing
    ? ['Reconnecting…', 'bg-amber-500 animate-pulse']
    : !visible
      ? ['Paused (tab hidden)', 'bg-slate-400']
      : polling
        ? ['Live', 'bg-emerald-500']
        : ['Final', 'bg-slate-400'];
  return (
    <p className="flex items-center gap-1.5 text-xs text-slate-500 dark:text-slate-400" data-testid="freshness">
      <span aria-hidden="true" className={`inline-block size-2 rounded-full ${dot}`} />
      <span className="font-medium text-slate-700 dark:text-slate-300">{label}</span>
      <span aria-hidden="true">·</span>
      <span>{ago}</span>
    </p>
  );
}
