import type { ViewState } from '../../contract/dashboard-api.ts';

export interface StateStyle {
  label: string;
  /** A glyph so the state never relies on colour alone (the label is always shown too). */
  icon: string;
  badge: string;
  /** Segment colour in the stacked bar. */
  bar: string;
  /** The same colour for canvas charts, as theme tokens (`--color-<token>`): [light, dark]. */
  chart: readonly [string, string];
  description: string;
}

export const STATE_STYLES: Record<ViewState, StateStyle> = {
  Waiting: {
    label: 'Waiting',
    icon: '⧗',
    badge: 'bg-state-waiting-50 text-state-waiting-800 ring-state-waiting-300 dark:bg-state-waiting-950 dark:text-state-waiting-200 dark:ring-state-waiting-700',
    bar: 'bg-state-waiting-300 dark:bg-state-waiting-700',
    chart: ['state-waiting-300', 'state-waiting-700'],
    description: 'Received by the dashboard; it sends the file to the Convert API when the account has room.',
  },
  Sending: {
    label: 'Sending',
    icon: '↑',
    badge: 'bg-state-sending-100 text-state-sending-900 ring-state-sending-400 dark:bg-state-sending-900 dark:text-state-sending-100 dark:ring-state-sending-600',
    bar: 'bg-state-sending-500',
    chart: ['state-sending-500', 'state-sending-500'],
    description: 'Being sent to the Convert API now.',
  },
  InDoubt: {
    label: 'In doubt',
    icon: '‽',
    badge: 'bg-state-in-doubt-50 text-state-in-doubt-900 ring-state-in-doubt-400 dark:bg-state-in-doubt-950 dark:text-state-in-doubt-100 dark:ring-state-in-doubt-700',
    bar: 'bg-state-in-doubt-400',
    chart: ['state-in-doubt-400', 'state-in-doubt-400'],
    description:
      'The dashboard stopped while sending this file: the Convert API may or may not have it. It is not sent again by itself; send it again or dismiss it.',
  },
  Queued: {
    label: 'Queued',
    icon: '◷',
    badge: 'bg-state-queued-100 text-state-queued-700 ring-state-queued-300 dark:bg-state-queued-800 dark:text-state-queued-200 dark:ring-state-queued-600',
    bar: 'bg-state-queued-400 dark:bg-state-queued-500',
    chart: ['state-queued-400', 'state-queued-500'],
    description: 'Waiting for a worker.',
  },
  Running: {
    label: 'Running',
    icon: '▶',
    badge: 'bg-state-running-50 text-state-running-800 ring-state-running-300 dark:bg-state-running-950 dark:text-state-running-200 dark:ring-state-running-700',
    bar: 'bg-state-running-500',
    chart: ['state-running-500', 'state-running-500'],
    description: 'Converting now.',
  },
  Succeeded: {
    label: 'Succeeded',
    icon: '✓',
    badge: 'bg-state-succeeded-50 text-state-succeeded-800 ring-state-succeeded-300 dark:bg-state-succeeded-950 dark:text-state-succeeded-200 dark:ring-state-succeeded-700',
    bar: 'bg-state-succeeded-500',
    chart: ['state-succeeded-500', 'state-succeeded-500'],
    description: 'Done; the output can be downloaded until it expires.',
  },
  Expired: {
    label: 'Expired',
    icon: '◌',
    badge: 'bg-state-expired-100 text-state-expired-700 ring-state-expired-300 dark:bg-state-expired-800 dark:text-state-expired-200 dark:ring-state-expired-600',
    bar: 'bg-state-succeeded-200 dark:bg-state-succeeded-900',
    chart: ['state-succeeded-200', 'state-succeeded-900'],
    description: 'Done, but the Convert API deleted the output (one hour after completion); a kept copy may remain on this server.',
  },
  Failed: {
    label: 'Failed',
    icon: '✕',
    badge: 'bg-state-failed-50 text-state-failed-800 ring-state-failed-300 dark:bg-state-failed-950 dark:text-state-failed-200 dark:ring-state-failed-700',
    bar: 'bg-state-failed-500',
    chart: ['state-failed-500', 'state-failed-500'],
    description: 'The conversion failed; credits are refunded.',
  },
  Canceled: {
    label: 'Canceled',
    icon: '⊘',
    badge: 'bg-state-canceled-50 text-state-canceled-800 ring-state-canceled-300 dark:bg-state-canceled-950 dark:text-state-canceled-200 dark:ring-state-canceled-700',
    bar: 'bg-state-canceled-400',
    chart: ['state-canceled-400', 'state-canceled-400'],
    description: 'Canceled before it finished.',
  },
  Unknown: {
    label: 'Unknown',
    icon: '?',
    badge: 'bg-state-unknown-50 text-state-unknown-600 ring-state-unknown-300 ring-dashed dark:bg-state-unknown-900 dark:text-state-unknown-300 dark:ring-state-unknown-600',
    bar: 'bg-state-unknown-300 dark:bg-state-unknown-600',
    chart: ['state-unknown-300', 'state-unknown-600'],
    description: 'Added, not checked with the Convert API yet.',
  },
  Gone: {
    label: 'Gone',
    icon: '∅',
    badge: 'bg-state-gone-100 text-state-gone-600 ring-state-gone-300 dark:bg-state-gone-800 dark:text-state-gone-300 dark:ring-state-gone-600',
    // Striped and neutral: not work done or pending, just ids the Convert API does not know.
    bar: 'bg-[repeating-linear-gradient(135deg,var(--color-state-gone-400)_0_3px,var(--color-state-gone-300)_3px_6px)] dark:bg-[repeating-linear-gradient(135deg,var(--color-state-gone-500)_0_3px,var(--color-state-gone-700)_3px_6px)]',
    chart: ['state-gone-400', 'state-gone-500'],
    description: 'The Convert API does not know this job (deleted, forgotten, or never created).',
  },
  Forbidden: {
    label: 'Forbidden',
    // A no-entry sign as a text symbol (⛔ is emoji-only: an empty box where no emoji font is installed).
    icon: '⊖',
    badge: 'bg-state-forbidden-50 text-state-forbidden-800 ring-state-forbidden-300 dark:bg-state-forbidden-950 dark:text-state-forbidden-200 dark:ring-state-forbidden-700',
    bar: 'bg-[repeating-linear-gradient(135deg,var(--color-state-forbidden-400)_0_3px,var(--color-state-gone-300)_3px_6px)] dark:bg-[repeating-linear-gradient(135deg,var(--color-state-forbidden-500)_0_3px,var(--color-state-gone-700)_3px_6px)]',
    chart: ['state-forbidden-400', 'state-forbidden-500'],
    description: 'This job belongs to another Convert API account.',
  },
};
