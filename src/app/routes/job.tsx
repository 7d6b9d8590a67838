import { Link, useParams } from 'react-router-dom';
import { JobTimes } from '../../features/insight/components/job-times.tsx';
import { EXPIRING_SOON_MS, type BatchJob, type TrackedState } from '../../../contract/dashboard-api.ts';
import { normalizeJobId } from '../../../contract/job-id.ts';
import { ErrorCode } from '../../../contract/errors.ts';
import { Banner } from '../../components/ui/banner.tsx';
import { buttonClasses } from '../../components/ui/button.tsx';
import { paths } from '../../config/paths.ts';
import { ApiError } from '../../lib/api-client.ts';
import { describeError, describeErrorCode } from '../../lib/error-messages.ts';
import { formatBytes, formatDateTime } from '../../lib/format.ts';
import { useBatch } from '../../features/batches/api/get-batch.ts';
import { useBatchStream, useReportView } from '../../lib/api/batch-stream.ts';
import { UNAUTHORIZED_TITLE, UpstreamBanner } from '../../features/batches/components/upstream-banner.tsx';
import { useJob } from '../../features/jobs/api/get-job.ts';
import { ExpiryCountdown } from '../../features/jobs/components/expiry-countdown.tsx';
import { JobActions } from '../../features/jobs/components/job-actions.tsx';
import { OutputSummary } from '../../features/jobs/components/output-summary.tsx';
import { ProgressBar } from '../../features/jobs/components/progress-bar.tsx';
import { StatusBadge } from '../../features/jobs/components/status-badge.tsx';
import { CopyIdButton } from '../../features/jobs/components/copy-id-button.tsx';
import { displayName } from '../../features/jobs/job-view.ts';
import { countdownTargetLocalMs } from '../../features/jobs/expiry.ts';
import { useTimePassed } from '../../lib/use-time-passed.ts';
import { useJobAnnouncements } from '../../features/jobs/use-job-announcements.ts';

function Item({ label, children, className = '' }: { label: string; children: React.ReactNode; className?: string }) {
  return (
    <div className={`flex min-w-0 flex-col gap-0.5 ${className}`}>
      <dt className="text-xs text-slate-500 dark:text-slate-400">{label}</dt>
      <dd className="text-sm">{children}</dd>
    </div>
  );
}

function stateFrom(status: TrackedState | undefined, error: unknown, fallback: TrackedState): TrackedState {
  if (status) return status;
  if (error instanceof ApiError && error.status === 404) return 'Gone';
  if (error instanceof ApiError && error.status === 403) return 'Forbidden';
  return fallback;
}

export function JobRoute() {
  const { jobId: rawId = '', batchId } = useParams();
  const jobId = normalizeJobId(rawId);
  if (!jobId) {
    return (
      <div className="mx-auto mt-12 flex max-w-lg flex-col gap-3">
        <title>Job not found · Convert batches</title>
        <h1 className="text-xl font-semibold">Not a job id</h1>
        <Banner title={describeErrorCode(ErrorCode.invalidJobId).message} />
        <Link to={paths.batches.getHref()} className={`${buttonClasses('secondary')} self-start`}>
          Back to batches
        </Link>
      </div>
    );
  }
  return <JobDetail jobId={jobId} batchId={batchId} />;
}

function JobDetail({ jobId, batchId }: { jobId: string; batchId?: string }) {
  // In a batch, the page reads the server's record through the batch's event stream (the tracker polls the
  // job first while it is open): three tabs on one job cost the upstream nothing more. Alone, it asks the proxy.
  const job = useJob(jobId, !batchId);
  const batch = useBatch(batchId);
  useBatchStream(batchId, Boolean(batch.data && !batch.data.loadingRows));
  useReportView(batchId, [jobId]);
  const snapshot = batchId ? batch.data?.snapshot : undefined;
  const trackedRow = snapshot ? snapshot.jobs.indexOf(jobId) : -1;
  const tracked: BatchJob | undefined = snapshot && trackedRow >= 0 ? snapshot.jobs.job(trackedRow) : undefined;
  const name = tracked ? displayName(tracked) : jobId;
  const status = job.data;
  const state = stateFrom(status?.status, job.error, tracked?.state ?? 'Unknown');
  const percent = state === 'Succeeded' ? 100 : (status?.progress.percent ?? tracked?.last?.progress.percent ?? 0);
  const metrics = status?.metrics ?? tracked?.last?.metrics ?? null;
  const failure = status?.error ?? tracked?.last?.error ?? null;
  const output = status ? status.output : (tracked?.last?.output ?? null);
  const offset = batch.data?.serverOffsetMs ?? 0;
  const expiryTarget = tracked ? countdownTargetLocalMs({ state, expiry: tracked.expiry }, offset) : null;
  const countdownEnded = useTimePassed(expiryTarget);
  const outputExpired = state === 'Succeeded' && ((tracked?.outputExpired ?? false) || countdownEnded);
  const unauthorized = job.error instanceof ApiError && job.error.code === ErrorCode.apiKeyInvalid;
  const soonPassed = useTimePassed(expiryTarget !== null ? expiryTarget - EXPIRING_SOON_MS : null);
  useJobAnnouncements({
    loaded: Boolean(status ?? tracked ?? job.error),
    jobId,
    name,
    state,
    failure: failure ? describeErrorCode(failure.code, failure.detail).message : null,
    expiringSoon: state === 'Succeeded' && soonPassed && !tracked?.kept && !tracked?.downloadedAt,
    outputExpired: outputExpired && !tracked?.kept,
  });

  return (
    <div className="flex flex-col gap-4 overflow-auto">
      <title>{`${state}${state === 'Running' ? ` ${percent}%` : ''} · ${name}`}</title>
      <nav aria-label="Breadcrumb" className="text-xs text-slate-500 dark:text-slate-400">
        <Link to={paths.batches.getHref()} className="hover:underline">
          Batches
        </Link>
        {batchId && snapshot && (
          <>
            {' / '}
            <Link to={paths.batch.getHref(batchId)} className="hover:underline">
              {snapshot.batch.name}
            </Link>
          </>
        )}
        {' / '}
        <span aria-current="page">{name}</span>
      </nav>
      {snapshot && <UpstreamBanner upstream={snapshot.upstream} />}
      {unauthorized && !(snapshot?.upstream.state === 'unauthorized') && <Banner title={UNAUTHORIZED_TITLE} />}
      <header className="flex flex-wrap items-center gap-3">
        <h1 className="truncate text-xl font-semibold">{name}</h1>
        <StatusBadge state={state} />
      </header>
      <div className="flex min-w-0 items-center gap-1 text-xs text-slate-500 dark:text-slate-400">
        <code className="min-w-0 font-mono break-all">{jobId}</code>
        <CopyIdButton id={jobId} name={name} />
      </div>
      {job.error && !unauthorized && (
        <Banner tone={state === 'Gone' || state === 'Forbidden' ? 'warning' : 'error'} title={describeError(job.error).message}>
          {describeError(job.error).next}
        </Banner>
      )}
      <section aria-label="Progress" className="max-w-4xl">
        <ProgressBar percent={percent} phase={status?.progress.phase ?? tracked?.last?.progress.phase ?? null} state={state} label={`Progress of ${name}`} wide />
      </section>
      <dl className="grid max-w-4xl grid-cols-2 gap-4 rounded-lg sm:grid-cols-4 border border-slate-200 p-4 dark:border-slate-800">
        <Item label="Input size">{formatBytes(metrics?.inputBytes)}</Item>
        <Item label="Output size">{metrics && metrics.outputBytes > 0 ? formatBytes(metrics.outputBytes) : '—'}</Item>
        <Item label="Credits">{metrics ? metrics.creditCost : '—'}</Item>
        <Item label="Target format">{tracked?.targetFormat ?? '—'}</Item>
        <Item label="Output" className="col-span-2">
          <OutputSummary output={output} expired={outputExpired} />
        </Item>
        {failure && (
          // Its own dt/dd group across the grid: a dl holds only dt/dd groups (one div each), nothing deeper.
          <Item label="Error" className="col-span-full">
            <span className="text-red-700 dark:text-red-400">{describeErrorCode(failure.code, failure.detail).message}</span>{' '}
            {describeErrorCode(failure.code, failure.detail).next}
            <span className="mt-1 block font-mono text-xs text-slate-600 dark:text-slate-400">
              {failure.code}
              {failure.detail && `: ${failure.detail}`}
            </span>
          </Item>
        )}
        {tracked?.problem && (tracked.state === 'Gone' || tracked.state === 'Forbidden') && !job.error && (
          <Item label="Why" className="col-span-full">
            {describeErrorCode(tracked.problem.error, tracked.problem.detail, tracked.problem.status).message}{' '}
            {describeErrorCode(tracked.problem.error, tracked.problem.detail, tracked.problem.status).next}
          </Item>
        )}
      </dl>
      {tracked && (
        <section aria-labelledby="timeline-title" className="max-w-4xl">
          <h2 id="timeline-title" className="mb-2 text-sm font-semibold">
            Observed timeline
          </h2>
          <dl className="grid grid-cols-2 gap-4 rounded-lg sm:grid-cols-4 border border-slate-200 p-4 dark:border-slate-800">
            <Item label="Added to batch">{formatDateTime(tracked.addedAt)}</Item>
            <Item label="Submitted">{formatDateTime(tracked.submittedAt)}</Item>
            <Item label="Last seen active">{formatDateTime(tracked.lastSeenActiveAt)}</Item>
            <Item label="First seen finished">{formatDateTime(tracked.firstSeenTerminalAt)}</Item>
            <Item label="Expiry window" className="col-span-2 sm:col-span-1">
              {tracked.expiry
                ? 'unknown' in tracked.expiry
                  ? `unknown — any time until ${formatDateTime(tracked.expiry.latest ?? null)}`
                  : `${formatDateTime(tracked.expiry.earliest)} – ${formatDateTime(tracked.expiry.latest)}`
                : '—'}
            </Item>
            <Item label="Expires in">
              <ExpiryCountdown job={tracked} serverOffsetMs={offset} size="text-sm" />
            </Item>
            <Item label="Last checked">{formatDateTime(tracked.lastCheckedAt)}</Item>
            <Item label="Downloaded">{formatDateTime(tracked.downloadedAt)}</Item>
          </dl>
        </section>
      )}
      {tracked && batchId && <JobTimes batchId={batchId} jobId={jobId} />}
      <section aria-label="Actions">
        <JobActions
          jobId={jobId}
          name={name}
          state={state}
          output={output}
          outputExpired={outputExpired}
          kept={tracked?.kept ?? null}
          batchId={tracked ? batchId : undefined}
          expiryTargetLocalMs={expiryTarget}
          size="md"
          layout="page"
        />
      </section>
    </div>
  );
}
