import { focusRing } from './button.tsx';

export const inputBase = `rounded-md border border-slate-300 bg-white px-2.5 py-1.5 text-sm text-slate-900 placeholder:text-slate-400 dark:border-slate-700 dark:bg-slate-950 dark:text-slate-100 ${focusRing}`;

export const labelClasses = 'block text-sm font-medium text-slate-700 dark:text-slate-300';

export const inputClasses = `${inputBase} w-full`;
