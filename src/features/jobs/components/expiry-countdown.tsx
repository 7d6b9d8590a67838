import type { BatchJob } from '../../../../contract/dashboard-api.ts';
import { formatCountdown } from '../../../lib/format.ts';
import { useNow } from '../../../lib/ticker.ts';
import { expiryView, type ExpiryLevel } from '../expiry.ts';

const LEVEL_CLASSES: Record<ExpiryLevel, string> = {
  ok: 'text-slate-700 dark:text-slate-300',
  soon: 'text-amber-700 dark:text-amber-400',
  urgent: 'text-red-700 dark:text-red-400 font-semibold',
};

/**
 * A row's or the job page's countdown. Only a succeeded job with an expiry subscribes to the shared 1 s ticker
 * (by itself, so a tick re-renders this cell only): a running batch's rows do not re-render every second.
 */
export function ExpiryCountdown(props: CountdownProps) {
  const { job } = props;
  if (job.state !== 'Succeeded' || job.expiry === null) return <NoExpiry />;
  return <TickingCountdown {...props} />;
}

function NoExpiry() {
  return <span className="text-slate-400 dark:text-slate-600">—</span>;
}

interface CountdownProps {
  job: Pick<BatchJob, 'state' | 'expiry' | 'outputExpired'> & Partial<Pick<BatchJob, 'kept'>>;
  serverOffsetMs: number;
  /** A row's small print, or the job page's value size. */
  size?: 'text-xs' | 'text-sm';
}

const KEPT_TITLE = 'Time left before the Convert API deletes its copy. The dashboard keeps its own copy longer.';

function TickingCountdown({ job, serverOffsetMs, size = 'text-xs' }: CountdownProps) {
  const now = useNow();
  const view = expiryView(job, now, serverOffsetMs);
  if (view.kind === 'none') return <NoExpiry />;
  if (view.kind === 'expired') {
    return <span className={`${size} font-medium text-slate-500 dark:text-slate-400`}>expired</span>;
  }
  if (view.kind === 'unknown') {
    return (
      <span className={`${size} text-amber-700 dark:text-amber-400`} title={view.explanation}>
        <span aria-hidden="true">~ unknown</span>
        <span className="sr-only">Expiry unknown. {view.explanation}</span>
      </span>
    );
  }
  // "left" gives the minutes:seconds their meaning where the column header is not shown (the phone's card).
  const text = `${view.approximate ? '~' : ''}${formatCountdown(view.remainingMs)} left`;
  // A kept output outlives the upstream's copy: its countdown is information, not an alarm.
  const level = job.kept ? 'ok' : view.level;
  const title = job.kept ? KEPT_TITLE : (view.explanation ?? 'Time left before the output is deleted');
  return (
    <span className={`${size} whitespace-nowrap tabular-nums ${LEVEL_CLASSES[level]}`} title={title}>
      <span aria-hidden="true">{text}</span>
      <span className="sr-only">
        {view.approximate ? 'about ' : ''}
        {formatCountdown(view.remainingMs)} until the output expires{job.kept ? `. ${KEPT_TITLE}` : view.explanation ? `. ${view.explanation}` : ''}
      </span>
    </span>
  );
}
