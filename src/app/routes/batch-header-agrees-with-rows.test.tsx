import { act, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BatchJob, BatchSummary } from '../../../contract/dashboard-api.ts';
import { NOW, makeJob, renderWithProviders } from '../../testing/render.tsx';
import { BatchHeader } from '../../features/batches/components/batch-header.tsx';
import { BatchJobs } from '../../lib/batch-jobs.ts';
import { JobRow } from '../../features/jobs/components/job-row.tsx';
import { useOutputSummary } from '../../features/jobs/use-output-summary.ts';

afterEach(() => vi.useRealTimers());

/** The server's clock runs this far ahead of the browser's: countdowns end by the server's. */
const OFFSET_MS = 7_000;
const at = (ms: number) => new Date(NOW + OFFSET_MS + ms).toISOString();
const SUCCEEDED_LAST: BatchJob['last'] = {
  progress: { percent: 100, phase: null },
  metrics: { inputBytes: 120_000, outputBytes: 80_000, creditCost: 1 },
  error: null,
  output: { fileName: 'out.jpg', contentType: 'image/jpeg', fileCount: 1 },
};

const JOBS: BatchJob[] = [
  // Not kept: stops being ready when its countdown ends, 20 s in.
  makeJob({ id: 'a'.repeat(32), fileName: 'a.png', state: 'Succeeded', last: SUCCEEDED_LAST, expiry: { earliest: at(20_000), latest: at(21_000) } }),
  // Kept: still ready after its countdown ends, 30 s in.
  makeJob({
    id: 'b'.repeat(32),
    fileName: 'b.png',
    state: 'Succeeded',
    last: SUCCEEDED_LAST,
    expiry: { earliest: at(30_000), latest: at(31_000) },
    kept: { at: at(-60_000), until: at(7 * 86_400_000), bytes: 80_000, fileName: 'b.jpg' },
  }),
  // Pasted after it finished: the countdown runs to the latest possible deletion, 40 s in.
  makeJob({ id: 'c'.repeat(32), fileName: 'c.png', state: 'Succeeded', last: SUCCEEDED_LAST, expiry: { unknown: true, earliest: at(-5_000), latest: at(40_000) } }),
  makeJob({ id: 'd'.repeat(32), fileName: 'd.png', state: 'Failed' }),
];

const BATCH: BatchSummary = {
  id: 'b1',
  name: 'Photos',
  createdAt: '2026-11-29T09:00:00Z',
  jobCount: JOBS.length,
  counts: { Waiting: 0, Sending: 0, InDoubt: 0, Queued: 0, Running: 0, Succeeded: 3, Expired: 0, Failed: 1, Canceled: 0, Unknown: 0, Gone: 0, Forbidden: 0 },
  outputsReady: 3,
  progressPercent: 100,
  inputBytes: 0,
  outputBytes: 0,
  credits: 4,
};

/** The batch page's wiring: the header's numbers from useOutputSummary, each row its own countdown. */
function Page({ jobs }: { jobs: BatchJobs }) {
  const { summary } = useOutputSummary(jobs, OFFSET_MS);
  return (
    <>
      <BatchHeader batch={BATCH} freshness={{ updatedAt: NOW, view: { label: 'Live', tone: 'live', stale: null } }} counts={summary?.counts} outputsReady={summary?.ready} />
      <div role="table" aria-label="Jobs">
        <div role="rowgroup">
          {JOBS.map((job, i) => (
            <JobRow key={job.id} job={job} batchId="b1" serverOffsetMs={OFFSET_MS} selected={false} onToggle={() => {}} rowIndex={i + 2} />
          ))}
        </div>
      </div>
    </>
  );
}

/** What the rows say: a row is ready when it reads Succeeded, or Expired with a kept copy. */
function readyByRows(): number {
  return screen.getAllByRole('row').filter((row) => {
    const state = within(row).getAllByRole('cell')[2].textContent ?? '';
    if (state.includes('Expired')) return (row.textContent ?? '').includes('Kept until');
    return state.includes('Succeeded');
  }).length;
}

function readyByHeader(): number {
  const text = screen.getByText(/of 4 outputs ready$/).textContent ?? '';
  return Number(/^(\d+) of/.exec(text)?.[1]);
}

describe('the header\'s "N of M outputs ready" and the rows', () => {
  it('agree at every moment while countdowns end with the page open, kept copies still counting as ready', () => {
    vi.useFakeTimers();
    vi.setSystemTime(NOW);
    renderWithProviders(<Page jobs={new BatchJobs(JOBS)} />);
    const seen: number[] = [];
    // Around each countdown's end (20, 30, 40 s in) to the millisecond, and in between.
    const moments = [0, 10_000, 19_999, 20_000, 20_001, 25_000, 29_999, 30_000, 30_001, 39_999, 40_000, 40_001, 45_000];
    let now = 0;
    for (const t of moments) {
      act(() => {
        vi.advanceTimersByTime(t - now);
      });
      now = t;
      expect(readyByHeader(), `at ${t} ms`).toBe(readyByRows());
      if (seen.at(-1) !== readyByHeader()) seen.push(readyByHeader());
    }
    // 3 ready; a's countdown ends (2); b's ends but it is kept (still 2); c's ends (1).
    expect(seen).toEqual([3, 2, 1]);
    expect(within(screen.getByRole('row', { name: 'a.png → jpg' })).getAllByRole('cell')[2]).toHaveTextContent('Expired');
    expect(screen.getByRole('row', { name: 'b.png → jpg' })).toHaveTextContent('Kept until');
  });
});
