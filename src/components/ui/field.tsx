import { focusRing } from './button.tsx';

const fieldLook = `rounded-md border border-slate-300 bg-white text-sm text-slate-900 placeholder:text-slate-400 dark:border-slate-700 dark:bg-slate-950 dark:text-slate-100 ${focusRing}`;

export const inputBase = `${fieldLook} px-2.5 py-1.5`;

/** A toolbar's field, as tall as the small buttons beside it; no vertical padding, or its text is cut. */
export const inputSmall = `${fieldLook} h-7 px-2 py-0`;

export const labelClasses = 'block text-sm font-medium text-slate-700 dark:text-slate-300';

export const inputClasses = `${inputBase} w-full`;
