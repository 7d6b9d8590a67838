import { Link } from 'react-router-dom';
import type { BatchTotals } from '../../../../contract/insight-api.ts';
import { paths } from '../../../config/paths.ts';
import { plural } from '../../../lib/format.ts';
import { useInsightTotals } from '../api/get-insight.ts';

function Total({ label, value, batches, pick }: { label: string; value: number; batches: BatchTotals[]; pick: (b: BatchTotals) => number }) {
  const where = batches.filter((b) => pick(b) > 0);
  return (
    <div className="flex min-w-44 flex-col gap-0.5 rounded-lg border border-slate-200 px-3 py-2 dark:border-slate-800">
      <dt className="text-xs text-slate-500 dark:text-slate-400">{label}</dt>
      <dd className="text-lg font-semibold tabular-nums">{value.toLocaleString()}</dd>
      {where.length > 0 && (
        <dd className="text-xs text-slate-600 dark:text-slate-400">
          {where.slice(0, 3).map((b, i) => (
            <span key={b.batchId}>
              {i > 0 && ', '}
              <Link className="underline" to={paths.batch.getHref(b.batchId)}>
                {b.name}
              </Link>{' '}
              ({pick(b).toLocaleString()})
            </span>
          ))}
          {where.length > 3 && ` and ${plural(where.length - 3, 'other batch', 'other batches')}`}
        </dd>
      )}
    </div>
  );
}

/** Across batches at a glance: what runs now, what failed lately, what is about to be deleted. */
export function InsightTotalsBar() {
  const totals = useInsightTotals();
  if (!totals.data) return null;
  const { batches } = totals.data;
  return (
    <dl aria-label="Across batches" className="grid gap-2 sm:flex sm:flex-wrap sm:gap-3">
      <Total label="Jobs active now" value={totals.data.active} batches={batches} pick={(b) => b.active} />
      <Total label="Failures in the last hour" value={totals.data.failedLastHour} batches={batches} pick={(b) => b.failedLastHour} />
      <Total label="Outputs expiring within 10 min" value={totals.data.expiringSoon} batches={batches} pick={(b) => b.expiringSoon} />
    </dl>
  );
}
