import { formatDuration } from '../../../lib/format.ts';
import { useNow } from '../../../lib/ticker.ts';
import type { FreshnessView } from '../freshness-state.ts';

export interface FreshnessProps {
  updatedAt: number;
  view: FreshnessView;
}

const DOTS: Record<FreshnessView['tone'], string> = {
  live: 'bg-emerald-500',
  final: 'bg-slate-400',
  paused: 'bg-slate-400',
  warning: 'bg-amber-500 animate-pulse',
  error: 'bg-red-500',
};

/** "Live · updated 3 s ago", "Paused (tab hidden)", "Reconnecting…", "Not updating": whether what is shown is current. */
export function Freshness({ updatedAt, view }: FreshnessProps) {
  const now = useNow();
  const ago = updatedAt ? `updated ${formatDuration(Math.max(0, now - updatedAt))} ago` : 'not loaded yet';
  return (
    <p className="flex items-center gap-1.5 text-xs text-slate-500 dark:text-slate-400" data-testid="freshness">
      <span aria-hidden="true" className={`inline-block size-2 rounded-full ${DOTS[view.tone]}`} />
      <span className="font-medium text-slate-700 dark:text-slate-300">{view.label}</span>
      <span aria-hidden="true">·</span>
      <span>{ago}</span>
    </p>
  );
}

/** Beside counts and bars that may be out of date: why, and since when. */
export function StaleNote({ updatedAt, view }: FreshnessProps) {
  const now = useNow();
  if (!view.stale) return null;
  const when = updatedAt ? `are from ${formatDuration(Math.max(0, now - updatedAt))} ago` : 'may be out of date';
  const { reason } = view.stale;
  return (
    <p
      data-testid="stale-note"
      className="rounded-md border border-amber-300 bg-amber-50 px-3 py-1.5 text-sm text-amber-900 dark:border-amber-700 dark:bg-amber-950/60 dark:text-amber-100"
    >
      <span className="font-semibold">Not current:</span> the counts, bars and rows below {when}
      {reason ? `. ${reason.message} ${reason.next}` : ' (see the message above); they update again on their own.'}
    </p>
  );
}
