import { useState } from 'react';
import { Link } from 'react-router-dom';
import { useQueryClient } from '@tanstack/react-query';
import type { FailureGroup } from '../../../../contract/insight-api.ts';
import { Button } from '../../../components/ui/button.tsx';
import { ConfirmDialog } from '../../../components/ui/confirm-dialog.tsx';
import { paths } from '../../../config/paths.ts';
import { describeErrorCode, errorSentence } from '../../../lib/error-messages.ts';
import { plural, shortId } from '../../../lib/format.ts';
import { removeIds } from '../../../lib/api/batch-ids.ts';
import { batchKeys } from '../../../lib/api/query-keys.ts';
import { deleteJob } from '../../../lib/api/job-commands.ts';
import { insightKeys } from '../api/query-keys.ts';
import { useRetryJobs } from '../api/retry-jobs.ts';
import { CopyIdsButton } from './copy-ids-button.tsx';

type Pending = { group: FailureGroup; action: 'remove' | 'delete' } | null;

export interface FailureGroupsProps {
  batchId: string;
  groups: FailureGroup[];
  onSelect: (ids: string[]) => void;
  /**
   * Whether a job's source file is on the server, so it can be sent again (submit-file.ts `canSendAgain`);
   * without it every job of a group is offered and the server refuses the others.
   */
  canRetry?: (jobId: string) => boolean;
}

/** Failed jobs grouped by error code (and repeated detail), with the plain sentence, next step and group actions. */
export function FailureGroups({ batchId, groups, onSelect, canRetry }: FailureGroupsProps) {
  const queryClient = useQueryClient();
  const retry = useRetryJobs(batchId);
  const [outcome, setOutcome] = useState<string | null>(null);
  const [pending, setPending] = useState<Pending>(null);
  const [working, setWorking] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (groups.length === 0) return null;

  async function run() {
    if (!pending) return;
    setWorking(true);
    setError(null);
    try {
      const ids = pending.group.jobIds;
      if (pending.action === 'remove') {
        const { removed } = await removeIds(batchId, ids);
        setOutcome(`${plural(removed, 'job')} removed from the batch.`);
      } else {
        const failed: string[] = [];
        for (const id of ids) await deleteJob(id).catch((e: unknown) => failed.push(`${shortId(id)}: ${errorSentence(e)}`));
        setOutcome(`${plural(ids.length - failed.length, 'job')} deleted.${failed.length ? ` Not deleted: ${failed.slice(0, 3).join('; ')}` : ''}`);
      }
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: batchKeys.detail(batchId) }),
        queryClient.invalidateQueries({ queryKey: insightKeys.batch(batchId) }),
      ]);
      setPending(null);
    } catch (e) {
      setError(errorSentence(e));
    } finally {
      setWorking(false);
    }
  }

  return (
    <section aria-labelledby="failure-groups-title" className="rounded-lg border border-red-200 p-3 dark:border-red-900">
      <h2 id="failure-groups-title" className="text-sm font-semibold">
        Failures by cause
      </h2>
      <ul className="mt-2 flex flex-col gap-3">
        {groups.map((group) => {
          const { message, next } = describeErrorCode(group.code, group.detail);
          const name = `${group.code}${group.detail ? `: ${group.detail}` : ''}`;
          const retriable = canRetry ? group.jobIds.filter(canRetry) : group.jobIds;
          return (
            <li key={name} aria-label={`${plural(group.count, 'job')} failed: ${message}`} className="flex flex-col gap-1.5">
              <p className="text-sm">
                <span className="font-semibold tabular-nums">{plural(group.count, 'job')}</span> · {message}{' '}
                <span className="text-slate-600 dark:text-slate-400">{next}</span>
              </p>
              <p className="text-xs text-slate-500 dark:text-slate-400">
                <code>{group.code}</code>
                {group.detail && <> · “{group.detail}”</>} · example{' '}
                <Link className="underline" to={paths.batchJob.getHref(batchId, group.exampleJobId)}>
                  {shortId(group.exampleJobId)}
                </Link>
              </p>
              <div role="group" aria-label={`Actions for ${name}`} className="flex flex-wrap items-center gap-2">
                <Button size="sm" onClick={() => onSelect(group.jobIds)}>
                  Select {group.count}
                </Button>
                {retriable.length > 0 ? (
                  <Button
                    size="sm"
                    disabled={retry.isPending}
                    title={
                      retriable.length < group.count
                        ? `${plural(group.count - retriable.length, 'job')} of this group cannot be sent again (added by id, or the source file was deleted).`
                        : 'Send the source files again, same target and options.'
                    }
                    onClick={() =>
                      retry.mutate(retriable, {
                        onSuccess: (r) =>
                          setOutcome(
                            `${plural(r.accepted.length, 'job')} sent again.` +
                              (r.refused.length ? ` ${plural(r.refused.length, 'job')} could not be: ${r.refused[0].reason}` : ''),
                          ),
                        onError: (e) => setOutcome(`Retry failed. ${errorSentence(e)}`),
                      })
                    }
                  >
                    Retry {retriable.length}
                  </Button>
                ) : (
                  <span className="text-xs text-slate-500 dark:text-slate-400">No source file here to send again.</span>
                )}
                <CopyIdsButton ids={group.jobIds} />
                <Button size="sm" variant="ghost" onClick={() => setPending({ group, action: 'remove' })}>
                  Remove
                </Button>
                <Button size="sm" variant="ghost" onClick={() => setPending({ group, action: 'delete' })}>
                  Delete
                </Button>
              </div>
            </li>
          );
        })}
      </ul>
      <p role="status" className="mt-2 text-sm">
        {outcome}
      </p>
      <ConfirmDialog
        open={pending !== null}
        title={pending?.action === 'delete' ? 'Delete these failed jobs upstream?' : 'Remove these jobs from the batch?'}
        description={
          pending
            ? pending.action === 'delete'
              ? `${plural(pending.group.count, 'failed job')} will be deleted at the Convert API. This cannot be undone.`
              : `${plural(pending.group.count, 'job')} will leave this batch; the jobs themselves are not touched.`
            : ''
        }
        confirmLabel={pending?.action === 'delete' ? 'Delete' : 'Remove'}
        pending={working}
        error={error}
        onConfirm={() => void run()}
        onClose={() => {
          setPending(null);
          setError(null);
        }}
      />
    </section>
  );
}
