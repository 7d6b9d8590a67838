import type { AddIdsResponse } from '../../../../contract/dashboard-api.ts';
import { REJECT_REASON_TEXT } from '../../../../contract/job-id.ts';
import { plural } from '../../../lib/format.ts';

/** What happened to a paste: how many ids were added, how many were already there, and each rejection with why. */
export function IdFeedback({ result }: { result: AddIdsResponse }) {
  const { added, duplicates, rejected } = result;
  return (
    <section role="status" aria-label="Id import result" className="rounded-md border border-slate-200 p-3 text-sm dark:border-slate-700">
      <ul className="flex flex-wrap gap-x-4 gap-y-1">
        <li className="text-emerald-700 dark:text-emerald-400">
          <span aria-hidden="true">✓ </span>
          {plural(added.length, 'id')} added
        </li>
        <li className="text-slate-600 dark:text-slate-400">
          {plural(duplicates, 'duplicate')} skipped
        </li>
        <li className={rejected.length ? 'text-red-700 dark:text-red-400' : 'text-slate-600 dark:text-slate-400'}>
          {rejected.length ? <span aria-hidden="true">✕ </span> : null}
          {plural(rejected.length, 'rejected token')}
        </li>
      </ul>
      {rejected.length > 0 && (
        <ul aria-label="Rejected tokens" className="mt-2 max-h-40 overflow-auto text-xs">
          {rejected.map((r, i) => (
            <li key={`${r.token}-${i}`} className="flex gap-2 py-0.5">
              <code className="max-w-[50%] truncate font-mono text-red-700 dark:text-red-400" title={r.token}>
                {r.token}
              </code>
              <span className="text-slate-600 dark:text-slate-400">{REJECT_REASON_TEXT[r.reason] ?? r.reason}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
