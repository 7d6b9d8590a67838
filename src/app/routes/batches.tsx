import { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { Banner } from '../../components/ui/banner.tsx';
import { Button } from '../../components/ui/button.tsx';
import { paths } from '../../config/paths.ts';
import { describeError, errorSentence } from '../../lib/error-messages.ts';
import { useBatches } from '../../features/batches/api/get-batches.ts';
import { useCreateDemoBatch } from '../../features/batches/api/create-batch.ts';
import { BatchList } from '../../features/batches/components/batch-list.tsx';
import { CreateBatchDialog } from '../../features/batches/components/create-batch-dialog.tsx';
import { EmptyState } from '../../features/batches/components/empty-state.tsx';
import { UpstreamBanner } from '../../features/batches/components/upstream-banner.tsx';
import { InsightTotalsBar } from '../../features/insight/components/insight-totals.tsx';

export function BatchesRoute() {
  const batches = useBatches();
  const [creating, setCreating] = useState(false);
  const navigate = useNavigate();
  const demo = useCreateDemoBatch();

  let body;
  // Data before error: a failed background refresh keeps the last list on screen.
  if (batches.data) {
    body =
      batches.data.batches.length === 0 ? (
        <EmptyState />
      ) : (
        <BatchList batches={batches.data.batches} />
      );
  } else if (batches.error) {
    const { message, next } = describeError(batches.error);
    body = (
      <Banner title="The batches could not be loaded">
        {message} {next}
      </Banner>
    );
  } else {
    body = <p className="text-sm text-slate-500 dark:text-slate-400">Loading batches…</p>;
  }

  return (
    <div className="flex flex-col gap-4 overflow-auto">
      <title>Batches · Convert batches</title>
      {batches.data && <UpstreamBanner upstream={batches.data.upstream} />}
      <div className="flex items-center justify-between">
        <h1 className="text-xl font-semibold">Batches</h1>
        <div className="flex gap-2">
          {batches.data && batches.data.batches.length > 0 && (
            <Button
              disabled={demo.isPending}
              onClick={() => demo.mutate(undefined, { onSuccess: (result) => void navigate(paths.batch.getHref(result.batch.id)) })}
            >
              {demo.isPending ? 'Creating demo batch…' : 'Create demo batch'}
            </Button>
          )}
          <Button variant="primary" onClick={() => setCreating(true)}>
            New batch
          </Button>
        </div>
      </div>
      {demo.error && (
        <p role="alert" className="text-sm text-red-700 dark:text-red-400">
          {errorSentence(demo.error)}
        </p>
      )}
      {batches.data && batches.data.batches.length > 0 && <InsightTotalsBar />}
      {body}
      <CreateBatchDialog open={creating} onClose={() => setCreating(false)} />
    </div>
  );
}
