import type { ReactNode } from 'react';
import type { BatchOutputs, ReceiptFilter } from '../../../../contract/dashboard-api.ts';
import { buttonClasses, focusRing } from '../../../components/ui/button.tsx';
import { outputsZipHref } from '../../../config/paths.ts';
import { errorSentence } from '../../../lib/error-messages.ts';
import { formatBytes, plural } from '../../../lib/format.ts';
import { useSetKeepOutputs } from '../api/keep-outputs.ts';
import { chipClass } from '../../../components/ui/chip.ts';

export const RECEIPT_LABELS: Record<ReceiptFilter, string> = {
  notDownloaded: 'Not downloaded yet',
  expiringSoon: 'Expiring soon',
  kept: 'Kept',
  lost: 'Lost',
};

export interface OutputsBarProps {
  batchId: string;
  outputs: BatchOutputs;
  /** The page's output numbers (the jobs feature's `OutputSummary`); the bar reads the receipts. */
  summary: { receipts: Record<ReceiptFilter, number> };
  /** The page's current filter, so "Download all" takes what the table shows. */
  filter: { status: string | null; q: string; receipt: ReceiptFilter | null };
  filtered: boolean;
  /** Other batch-wide actions, on the same line before "Download all". */
  children?: ReactNode;
}

/** The batch's outputs: "Keep outputs", what could not be kept, what expires soon, and "Download all" as one ZIP. */
export function OutputsBar({ batchId, outputs, summary, filter, filtered, children }: OutputsBarProps) {
  const keep = useSetKeepOutputs(batchId);
  const soon = summary.receipts.expiringSoon;
  return (
    <section aria-label="Outputs" className="flex flex-col gap-1.5">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-2 text-sm">
        <label className="inline-flex items-center gap-1.5">
          <input
            type="checkbox"
            role="switch"
            checked={outputs.keep}
            disabled={keep.isPending}
            onChange={(e) => keep.mutate(e.target.checked)}
            className={`size-4 accent-blue-600 ${focusRing}`}
          />
          Keep outputs
        </label>
        <span className="text-xs text-slate-600 dark:text-slate-400">
          {outputs.keep
            ? `A copy of each output stays on this server for ${plural(outputs.keepDays, 'day')}, after the Convert API deletes it.`
            : 'Not kept: the Convert API deletes each output one hour after it finishes.'}
        </span>
        <div className="flex flex-wrap items-center gap-2 sm:ml-auto">
          {children}
          <a href={outputsZipHref(batchId, filtered ? filter : {})} download className={buttonClasses('secondary', 'sm')}>
            <span aria-hidden="true">↓</span>
            {filtered ? 'Download filtered as ZIP' : 'Download all as ZIP'}
          </a>
        </div>
      </div>
      {keep.error && <p role="alert" className="text-xs text-red-700 dark:text-red-400">{errorSentence(keep.error)}</p>}
      {outputs.skippedForSpace > 0 && (
        <p role="status" className="text-xs text-amber-800 dark:text-amber-300">
          {plural(outputs.skippedForSpace, 'output')} not kept: the space for kept outputs is full ({formatBytes(outputs.usedBytes)} of{' '}
          {formatBytes(outputs.limitBytes)} used, KEEP_OUTPUTS_MAX_GB). Download them before they expire.
        </p>
      )}
      {soon > 0 && (
        <p role="status" className="flex flex-wrap items-center gap-2 text-xs text-red-800 dark:text-red-300">
          {plural(soon, 'output')} expire within 10 minutes and are neither downloaded nor kept.
          <a href={outputsZipHref(batchId, { receipt: 'expiringSoon' })} download className={buttonClasses('secondary', 'sm')}>
            Download these
          </a>
        </p>
      )}
    </section>
  );
}

export interface ReceiptFilterProps {
  counts: Record<ReceiptFilter, number>;
  value: ReceiptFilter | null;
  onChange: (value: ReceiptFilter | null) => void;
}

/** Toggle chips by receipt; like the status chips, empty ones are hidden unless selected. */
export function ReceiptChips({ counts, value, onChange }: ReceiptFilterProps) {
  const shown = (Object.keys(RECEIPT_LABELS) as ReceiptFilter[]).filter((r) => counts[r] > 0 || r === value);
  if (shown.length === 0) return null;
  return (
    <div role="group" aria-label="Filter by output" className="flex flex-wrap items-center gap-1.5">
      {shown.map((r) => (
        <button key={r} type="button" aria-pressed={value === r} className={chipClass(value === r)} onClick={() => onChange(value === r ? null : r)}>
          {RECEIPT_LABELS[r]} ({counts[r]})
        </button>
      ))}
    </div>
  );
}
