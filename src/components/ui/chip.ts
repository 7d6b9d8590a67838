import { focusRing } from './button.tsx';

/** A filter chip (a toggle button with `aria-pressed`): status, receipt and Stalled? chips look alike. */
export const chipClass = (active: boolean) =>
  `inline-flex h-7 items-center gap-1 rounded-full border px-2.5 text-xs font-medium ${focusRing} ${
    active
      ? 'border-slate-900 bg-slate-900 text-white dark:border-slate-100 dark:bg-slate-100 dark:text-slate-900'
      : 'border-slate-300 bg-white text-slate-700 hover:bg-slate-50 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-300 dark:hover:bg-slate-800'
  }`;
