/** What changed between two insights of a batch that a browser notification announces. */
import type { BatchInsight } from '../../../contract/insight-api.ts';
import { plural } from '../../lib/format.ts';

export interface InsightMarks {
  done: boolean;
  /** Jobs in the batch: files added to a finished batch and finished before the next look still make it finish again. */
  jobs: number;
  failed: number;
  expiringSoon: number;
}

export interface BrowserEvent {
  kind: 'finished' | 'first_failure' | 'expiring';
  title: string;
  body: string;
}

export function marksOf(insight: BatchInsight): InsightMarks {
  const last = insight.series.t.length - 1;
  let jobs = 0;
  if (last >= 0) for (const column of Object.values(insight.series.counts)) jobs += column[last] ?? 0;
  return {
    done: insight.eta.kind === 'done',
    jobs,
    failed: last >= 0 ? (insight.series.counts.Failed?.[last] ?? 0) : 0,
    expiringSoon: insight.expiringSoon,
  };
}

/** The first insight seen only sets the marks: opening a tab announces nothing that already happened. */
export function batchEvents(before: InsightMarks | null, insight: BatchInsight): { marks: InsightMarks; events: BrowserEvent[] } {
  const marks = marksOf(insight);
  const events: BrowserEvent[] = [];
  if (before) {
    if (marks.done && (!before.done || marks.jobs > before.jobs)) events.push({ kind: 'finished', title: 'batch finished', body: 'Every job of the batch has finished.' });
    if (before.failed === 0 && marks.failed > 0) {
      events.push({ kind: 'first_failure', title: 'first failure', body: `${plural(marks.failed, 'job')} failed.` });
    }
    if (marks.expiringSoon > before.expiringSoon) {
      events.push({
        kind: 'expiring',
        title: 'outputs expiring soon',
        body: `${plural(marks.expiringSoon, 'output')} will be deleted within 10 minutes, neither downloaded nor kept.`,
      });
    }
  }
  return { marks, events };
}
