import type { ReactNode } from 'react';

type Tone = 'error' | 'warning' | 'info';

const TONES: Record<Tone, string> = {
  error: 'border-red-300 bg-red-50 text-red-900 dark:border-red-800 dark:bg-red-950/60 dark:text-red-100',
  warning: 'border-amber-300 bg-amber-50 text-amber-900 dark:border-amber-700 dark:bg-amber-950/60 dark:text-amber-100',
  info: 'border-sky-300 bg-sky-50 text-sky-900 dark:border-sky-800 dark:bg-sky-950/60 dark:text-sky-100',
};

// Text symbols that common system fonts carry (not emoji, which render as colour pictures or as empty boxes).
export const BANNER_ICONS: Record<Tone, string> = { error: '✕', warning: '⚠', info: 'ℹ' };

/** A page-wide message; `role="alert"` so assistive technology announces it when it appears. */
export function Banner({ tone = 'error', title, children }: { tone?: Tone; title: string; children?: ReactNode }) {
  return (
    <div role="alert" aria-label={title} className={`flex items-start gap-2 rounded-md border px-3 py-2 text-sm ${TONES[tone]}`}>
      <span aria-hidden="true">{BANNER_ICONS[tone]}</span>
      <div>
        <p className="font-medium">{title}</p>
        {children && <div className="mt-0.5 opacity-90">{children}</div>}
      </div>
    </div>
  );
}
