import type { ViewState } from '../../contract/dashboard-api.ts';

export interface StateStyle {
  label: string;
  /** A glyph so the state never relies on colour alone (the label is always shown too). */
  icon: string;
  badge: string;
  /** Segment colour in the stacked bar. */
  bar: string;
  description: string;
}

export const STATE_STYLES: Record<ViewState, StateStyle> = {
  Waiting: {
    label: 'Waiting',
    icon: '⧗',
    badge: 'bg-violet-50 text-violet-800 ring-violet-300 dark:bg-violet-950 dark:text-violet-200 dark:ring-violet-700',
    bar: 'bg-violet-300 dark:bg-violet-700',
    description: 'Received by the dashboard; it sends the file to the Convert API when the account has room.',
  },
  Sending: {
    label: 'Sending',
    icon: '↑',
    badge: 'bg-violet-100 text-violet-900 ring-violet-400 dark:bg-violet-900 dark:text-violet-100 dark:ring-violet-600',
    bar: 'bg-violet-500',
    description: 'Being sent to the Convert API now.',
  },
  InDoubt: {
    label: 'In doubt',
    icon: '‽',
    badge: 'bg-yellow-50 text-yellow-900 ring-yellow-400 dark:bg-yellow-950 dark:text-yellow-100 dark:ring-yellow-700',
    bar: 'bg-yellow-400',
    description:
      'The dashboard stopped while sending this file: the Convert API may or may not have it. It is not sent again by itself; send it again or dismiss it.',
  },
  Queued: {
    label: 'Queued',
    icon: '◷',
    badge: 'bg-slate-100 text-slate-700 ring-slate-300 dark:bg-slate-800 dark:text-slate-200 dark:ring-slate-600',
    bar: 'bg-slate-400 dark:bg-slate-500',
    description: 'Waiting for a worker.',
  },
  Running: {
    label: 'Running',
    icon: '▶',
    badge: 'bg-blue-50 text-blue-800 ring-blue-300 dark:bg-blue-950 dark:text-blue-200 dark:ring-blue-700',
    bar: 'bg-blue-500',
    description: 'Converting now.',
  },
  Succeeded: {
    label: 'Succeeded',
    icon: '✓',
    badge: 'bg-emerald-50 text-emerald-800 ring-emerald-300 dark:bg-emerald-950 dark:text-emerald-200 dark:ring-emerald-700',
    bar: 'bg-emerald-500',
    description: 'Done; the output can be downloaded until it expires.',
  },
  Expired: {
    label: 'Expired',
    icon: '◌',
    badge: 'bg-stone-100 text-stone-700 ring-stone-300 dark:bg-stone-800 dark:text-stone-200 dark:ring-stone-600',
    bar: 'bg-emerald-200 dark:bg-emerald-900',
    description: 'Done, but the Convert API deleted the output (one hour after completion); a kept copy may remain on this server.',
  },
  Failed: {
    label: 'Failed',
    icon: '✕',
    badge: 'bg-red-50 text-red-800 ring-red-300 dark:bg-red-950 dark:text-red-200 dark:ring-red-700',
    bar: 'bg-red-500',
    description: 'The conversion failed; credits are refunded.',
  },
  Canceled: {
    label: 'Canceled',
    icon: '⊘',
    badge: 'bg-amber-50 text-amber-800 ring-amber-300 dark:bg-amber-950 dark:text-amber-200 dark:ring-amber-700',
    bar: 'bg-amber-400',
    description: 'Canceled before it finished.',
  },
  Unknown: {
    label: 'Unknown',
    icon: '?',
    badge: 'bg-slate-50 text-slate-600 ring-slate-300 ring-dashed dark:bg-slate-900 dark:text-slate-300 dark:ring-slate-600',
    bar: 'bg-slate-300 dark:bg-slate-600',
    description: 'Added, not checked with the Convert API yet.',
  },
  Gone: {
    label: 'Gone',
    icon: '∅',
    badge: 'bg-zinc-100 text-zinc-600 ring-zinc-300 dark:bg-zinc-800 dark:text-zinc-300 dark:ring-zinc-600',
    // Striped and neutral: not work done or pending, just ids the Convert API does not know.
    bar: 'bg-[repeating-linear-gradient(135deg,var(--color-zinc-400)_0_3px,var(--color-zinc-300)_3px_6px)] dark:bg-[repeating-linear-gradient(135deg,var(--color-zinc-500)_0_3px,var(--color-zinc-700)_3px_6px)]',
    description: 'The Convert API does not know this job (deleted, forgotten, or never created).',
  },
  Forbidden: {
    label: 'Forbidden',
    // A no-entry sign as a text symbol (⛔ is emoji-only: an empty box where no emoji font is installed).
    icon: '⊖',
    badge: 'bg-orange-50 text-orange-800 ring-orange-300 dark:bg-orange-950 dark:text-orange-200 dark:ring-orange-700',
    bar: 'bg-[repeating-linear-gradient(135deg,var(--color-orange-400)_0_3px,var(--color-zinc-300)_3px_6px)] dark:bg-[repeating-linear-gradient(135deg,var(--color-orange-500)_0_3px,var(--color-zinc-700)_3px_6px)]',
    description: 'This job belongs to another Convert API account.',
  },
};
