import { useNavigate } from 'react-router-dom';
import { Button } from '../../../components/ui/button.tsx';
import { paths } from '../../../config/paths.ts';
import { errorSentence } from '../../../lib/error-messages.ts';
import { useCreateDemoBatch } from '../api/create-batch.ts';

export function EmptyState() {
  const navigate = useNavigate();
  const demo = useCreateDemoBatch();
  return (
    <section aria-labelledby="empty-title" className="mx-auto mt-10 max-w-xl rounded-lg border border-dashed border-slate-300 p-8 text-center dark:border-slate-700">
      <h2 id="empty-title" className="text-lg font-semibold">
        No batches yet
      </h2>
      <p className="mt-2 text-sm text-slate-600 dark:text-slate-400">
        A batch is a named list of Convert API jobs that this dashboard watches for you: their progress, when each
        output expires, and one-click download, cancel and delete. Use “New batch” above to paste job ids from your
        logs or to upload files to convert.
      </p>
      <p className="mt-2 text-sm text-slate-600 dark:text-slate-400">
        New here? The demo batch converts a few sample files (images, a 3-page PDF, a video, a font) so you see live
        jobs within seconds.
      </p>
      <div className="mt-5 flex justify-center gap-2">
        <Button
          variant="primary"
          disabled={demo.isPending}
          onClick={() => demo.mutate(undefined, { onSuccess: (result) => void navigate(paths.batch.getHref(result.batch.id)) })}
        >
          {demo.isPending ? 'Creating demo batch…' : 'Create demo batch'}
        </Button>
      </div>
      {demo.error && (
        <p role="alert" className="mt-3 text-sm text-red-700 dark:text-red-400">
          {errorSentence(demo.error)}
        </p>
      )}
    </section>
  );
}
