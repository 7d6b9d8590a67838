import type { JobOutput } from '../../../../contract/job.ts';
import { plural } from '../../../lib/format.ts';

/**
 * The output of a job, as far as it is known: its name and type, struck through once expired. After the Convert API
 * has deleted it, its status no longer names it, so an expired output without a name still says what happened.
 */
export function OutputSummary({ output, expired }: { output: JobOutput | null; expired: boolean }) {
  if (!output) return expired ? <span>Expired: deleted by the Convert API</span> : <span>—</span>;
  return (
    <span className="break-words">
      <span className={`font-medium ${expired ? 'text-slate-500 line-through dark:text-slate-400' : ''}`}>{output.fileName}</span>{' '}
      <span className="text-slate-500 dark:text-slate-400">
        ({output.contentType}
        {output.fileCount > 1 ? `, ${plural(output.fileCount, 'file')}` : ''})
      </span>
      {expired && <span className="ml-1.5 text-xs font-medium text-slate-600 dark:text-slate-300">expired</span>}
    </span>
  );
}
