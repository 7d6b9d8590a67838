import type { TrackedState } from '../../../../contract/dashboard-api.ts';

const FILL: Partial<Record<TrackedState, string>> = {
  Running: 'bg-blue-500',
  Succeeded: 'bg-emerald-500',
  Failed: 'bg-red-500',
  Canceled: 'bg-amber-400',
};

export interface ProgressBarProps {
  percent: number;
  phase: string | null;
  state: TrackedState;
  /** Accessible name, e.g. "Progress of photo.png". */
  label: string;
  wide?: boolean;
}

export function ProgressBar({ percent, phase, state, label, wide }: ProgressBarProps) {
  const value = Math.max(0, Math.min(100, Math.round(percent)));
  // Ids the Convert API does not know (or not for this account) have no progress: "0%" would read as stuck.
  const unmeasured = state === 'Gone' || state === 'Forbidden';
  const text = unmeasured ? '—' : phase ? `${value}% · ${phase}` : `${value}%`;
  // In a table row: the bar beside its text, and from the laptop layout up the bar above it, so the text keeps
  // the column's whole width ("100% · converting" is never cut).
  return (
    <div className={`flex min-w-0 items-center gap-2 ${wide ? 'w-full' : 'xl:flex-col xl:items-stretch xl:gap-1'}`}>
      <div
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={value}
        aria-valuetext={unmeasured ? 'No progress to show' : text}
        className={`h-1.5 overflow-hidden rounded-full bg-slate-200 dark:bg-slate-700 ${wide ? 'flex-1' : 'w-16 shrink-0 max-md:flex-1 xl:w-full xl:max-w-72'}`}
      >
        {/* Moved, not resized: a transform is drawn by the compositor, where a width change lays the row out again.
            No transition: each one's start and end events went through React's root listener and drew extra frames,
            a tenth of a live page's CPU (bench:ui-live), for a bar that moves once a second anyway. */}
        <div
          className={`h-full w-full rounded-full ${FILL[state] ?? 'bg-slate-400'}`}
          style={{ transform: `translateX(${value - 100}%)` }}
        />
      </div>
      <span className="text-xs leading-4 whitespace-nowrap tabular-nums text-slate-600 dark:text-slate-400">{text}</span>
    </div>
  );
}
