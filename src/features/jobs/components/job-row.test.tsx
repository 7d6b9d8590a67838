import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, screen, within } from '@testing-library/react';
import type { BatchJob } from '../../../../contract/dashboard-api.ts';
import { NOW, makeJob, renderWithProviders } from '../../../testing/render.tsx';
import { JobRow } from './job-row.tsx';

afterEach(() => vi.useRealTimers());

function renderRow(job: BatchJob, serverOffsetMs = 0) {
  renderWithProviders(
    <div role="table" aria-label="Jobs">
      <div role="rowgroup">
        <JobRow job={job} batchId="b1" serverOffsetMs={serverOffsetMs} selected={false} onToggle={() => {}} rowIndex={2} />
      </div>
    </div>,
  );
  return screen.getByRole('row', { name: job.fileName && job.targetFormat ? `${job.fileName} → ${job.targetFormat}` : (job.fileName ?? job.id) });
}

const SUCCEEDED_LAST: BatchJob['last'] = {
  progress: { percent: 100, phase: null },
  metrics: { inputBytes: 120_000, outputBytes: 80_000, creditCost: 1 },
  error: null,
  output: { fileName: 'photo.jpg', contentType: 'image/jpeg', fileCount: 1 },
};

const names = (row: HTMLElement) => within(row).queryAllByRole('button').map((b) => b.getAttribute('aria-label'));

describe('job row', () => {
  it('names a row and its controls after file and target, so one file sent to two targets gives distinct names', () => {
    renderWithProviders(
      <div role="table" aria-label="Jobs">
        <div role="rowgroup">
          <JobRow job={makeJob({ id: 'a'.repeat(32), fileName: 'clip.mp4', targetFormat: 'gif' })} batchId="b1" serverOffsetMs={0} selected={false} onToggle={() => {}} rowIndex={2} />
          <JobRow job={makeJob({ id: 'b'.repeat(32), fileName: 'clip.mp4', targetFormat: 'webm' })} batchId="b1" serverOffsetMs={0} selected={false} onToggle={() => {}} rowIndex={3} />
          <JobRow job={makeJob({ id: 'c'.repeat(32), fileName: null, targetFormat: null })} batchId="b1" serverOffsetMs={0} selected={false} onToggle={() => {}} rowIndex={4} />
        </div>
      </div>,
    );
    const gif = screen.getByRole('row', { name: 'clip.mp4 → gif' });
    const webm = screen.getByRole('row', { name: 'clip.mp4 → webm' });
    expect(within(gif).getByRole('button', { name: 'Cancel clip.mp4 → gif' })).toBeInTheDocument();
    expect(within(webm).getByRole('button', { name: 'Cancel clip.mp4 → webm' })).toBeInTheDocument();
    expect(within(webm).getByRole('link', { name: 'clip.mp4 → webm' })).toHaveTextContent(/^clip\.mp4$/);
    // A job known only by its id is named by the id.
    expect(within(screen.getByRole('row', { name: 'c'.repeat(32) })).getByRole('checkbox', { name: `Select ${'c'.repeat(32)}` })).toBeInTheDocument();
  });

  it('shows a queued job with its progress bar and Cancel and Remove', () => {
    const row = renderRow(makeJob());
    expect(within(row).getByText('Queued')).toBeInTheDocument();
    const bar = within(row).getByRole('progressbar', { name: 'Progress of photo.png → jpg' });
    expect(bar).toHaveAttribute('aria-valuenow', '0');
    expect(names(row)).toEqual(['Copy id of photo.png → jpg', 'Cancel photo.png → jpg', 'Remove photo.png → jpg from batch']);
    expect(within(row).getByRole('checkbox', { name: 'Select photo.png → jpg' })).not.toBeChecked();
  });

  it('marks a job the server judges stalled with how long, and says the rule that decided it', () => {
    renderWithProviders(
      <div role="table" aria-label="Jobs">
        <div role="rowgroup">
          <JobRow
            job={makeJob({ state: 'Running', last: { ...makeJob().last!, progress: { percent: 30, phase: 'converting' } } })}
            batchId="b1"
            serverOffsetMs={0}
            selected={false}
            onToggle={() => {}}
            rowIndex={2}
            stalled={{ jobId: makeJob().id, unchangedMs: 7 * 60_000, thresholdMs: 2 * 60_000, reason: 'png→jpg jobs in this batch usually run 30 s (median of 3); stalled after 4× that, at least 1 min.' }}
          />
        </div>
      </div>,
    );
    const mark = within(screen.getByRole('row', { name: 'photo.png → jpg' })).getByText(/^Stalled\? 7 min/);
    expect(mark).toHaveAttribute('title', expect.stringMatching(/^No change in percent or phase for 7 min \(the threshold is 2 min\)\. png→jpg jobs in this batch usually run 30 s/));
  });

  it('shows the observed wait and run times in the optional columns, and a dash where they were not observed', () => {
    const job = makeJob({
      state: 'Succeeded',
      last: SUCCEEDED_LAST,
      submittedAt: '2026-11-29T09:50:00.000Z',
      firstSeenRunningAt: '2026-11-29T09:50:03.500Z',
      firstSeenTerminalAt: '2026-11-29T09:52:03.500Z',
    });
    renderWithProviders(
      <div role="table" aria-label="Jobs">
        <div role="rowgroup">
          <JobRow job={job} batchId="b1" serverOffsetMs={0} selected={false} onToggle={() => {}} rowIndex={2} columns={['wait', 'run']} />
          <JobRow job={makeJob({ id: 'f'.repeat(32), fileName: 'x.png' })} batchId="b1" serverOffsetMs={0} selected={false} onToggle={() => {}} rowIndex={3} columns={['run']} />
        </div>
      </div>,
    );
    const cells = within(screen.getByRole('row', { name: 'photo.png → jpg' })).getAllByRole('cell');
    expect(cells.slice(-3, -1).map((c) => c.textContent)).toEqual(['3.5 s', '2 min']);
    const queued = within(screen.getByRole('row', { name: 'x.png → jpg' })).getAllByRole('cell');
    expect(queued.at(-2)).toHaveTextContent(/^—$/);
  });

  it('shows a running job with percent and phase', () => {
    const row = renderRow(makeJob({ state: 'Running', last: { ...makeJob().last!, progress: { percent: 42, phase: 'converting' } } }));
    const bar = within(row).getByRole('progressbar', { name: 'Progress of photo.png → jpg' });
    expect(bar).toHaveAttribute('aria-valuenow', '42');
    expect(within(row).getByText('42% · converting')).toBeInTheDocument();
  });

  it('shows a succeeded job with a download link named after output.fileName and a countdown', () => {
    const soon = new Date(Date.now() + 30 * 60_000).toISOString();
    const row = renderRow(
      makeJob({
        state: 'Succeeded',
        last: { progress: { percent: 100, phase: null }, metrics: { inputBytes: 120_000, outputBytes: 80_000, creditCost: 1 }, error: null, output: { fileName: 'photo.jpg', contentType: 'image/jpeg', fileCount: 1 } },
        expiry: { earliest: soon, latest: soon },
      }),
    );
    const link = within(row).getByRole('link', { name: 'Download photo.jpg' });
    expect(link).toHaveAttribute('href', '/convert/job/019c56457340753ba9441d7b4e6516a0/download');
    expect(link).toHaveAttribute('download', 'photo.jpg');
    expect(within(row).getByText(/until the output expires/)).toBeInTheDocument();
    expect(names(row)).toContain('Delete photo.png → jpg');
    expect(names(row)).not.toContain('Cancel photo.png → jpg');
  });

  it('shows a succeeded job whose output expired without a download', () => {
    const past = new Date(Date.now() - 60_000).toISOString();
    const row = renderRow(makeJob({ state: 'Succeeded', outputExpired: true, expiry: { earliest: past, latest: past } }));
    expect(within(row).queryByRole('link', { name: /Download/ })).toBeNull();
    expect(within(row).getByText('expired')).toBeInTheDocument();
  });

  it('withdraws the download the moment the countdown ends in the server clock, and says since when', () => {
    vi.useFakeTimers();
    vi.setSystemTime(NOW);
    // The server's clock is 2 s ahead, so the earliest deletion at server time NOW + 12 s is local NOW + 10 s.
    const earliest = new Date(NOW + 12_000).toISOString();
    const latest = new Date(NOW + 14_000).toISOString();
    const row = renderRow(makeJob({ state: 'Succeeded', last: SUCCEEDED_LAST, expiry: { earliest, latest } }), 2_000);
    const link = () => within(row).queryByRole('link', { name: 'Download photo.jpg' });
    expect(link()).toBeInTheDocument();
    act(() => {
      vi.advanceTimersByTime(9_999);
    });
    expect(link()).toBeInTheDocument();
    act(() => {
      vi.advanceTimersByTime(1);
    });
    expect(link()).toBeNull();
    expect(within(row).getByText('Output expired just now')).toBeInTheDocument();
    expect(within(row).getByText('expired')).toBeInTheDocument();
    expect(names(row)).toEqual(['Copy id of photo.png → jpg', 'Delete photo.png → jpg', 'Remove photo.png → jpg from batch']);
    act(() => {
      vi.advanceTimersByTime(30_000);
    });
    expect(within(row).getByText('Output expired 30 seconds ago')).toBeInTheDocument();
  });

  it('for a job pasted after it finished, keeps the download until the latest possible deletion', () => {
    vi.useFakeTimers();
    vi.setSystemTime(NOW);
    const expiry = { unknown: true as const, earliest: new Date(NOW - 60_000).toISOString(), latest: new Date(NOW + 5_000).toISOString() };
    const row = renderRow(makeJob({ state: 'Succeeded', last: SUCCEEDED_LAST, expiry }));
    expect(within(row).getByRole('link', { name: 'Download photo.jpg' })).toBeInTheDocument();
    act(() => {
      vi.advanceTimersByTime(5_000);
    });
    expect(within(row).queryByRole('link', { name: 'Download photo.jpg' })).toBeNull();
    expect(within(row).getByText('Output expired just now')).toBeInTheDocument();
  });

  it('shows a failed job with the plain sentence of its error and the detail, the code in the tooltip', () => {
    const row = renderRow(
      makeJob({ state: 'Failed', last: { ...makeJob().last!, error: { code: 'convert.invalid_input', detail: 'not a PNG' } } }),
    );
    expect(within(row).getByText('Failed')).toBeInTheDocument();
    const note = within(row).getByText('The file could not be read as its format (damaged, or the extension does not match the content). (not a PNG)');
    expect(note).toHaveAttribute('title', 'convert.invalid_input: not a PNG');
    expect(names(row)).toEqual(['Copy id of photo.png → jpg', 'Delete photo.png → jpg', 'Remove photo.png → jpg from batch']);
  });

  it('shows a canceled job with Delete and Remove', () => {
    const row = renderRow(makeJob({ state: 'Canceled' }));
    expect(within(row).getByText('Canceled')).toBeInTheDocument();
    expect(names(row)).toContain('Delete photo.png → jpg');
  });

  it('shows a job not seen yet by its id, offering only Remove', () => {
    const row = renderRow(makeJob({ state: 'Unknown', fileName: null, last: null }));
    expect(within(row).getByText('Unknown')).toBeInTheDocument();
    expect(within(row).getByText('Not checked with the Convert API yet.')).toBeInTheDocument();
    expect(names(row).filter((n) => !n?.startsWith('Copy'))).toEqual(['Remove 019c56457340753ba9441d7b4e6516a0 from batch']);
  });

  it('says a gone job is unknown upstream and offers Remove', () => {
    const row = renderRow(makeJob({ state: 'Gone', problem: { status: 404, error: 'jobs.not_found', detail: null } }));
    expect(within(row).getByText(/does not know this job/)).toBeInTheDocument();
    expect(within(row).getByRole('progressbar', { name: 'Progress of photo.png → jpg' })).toHaveAttribute('aria-valuetext', 'No progress to show');
    expect(within(row).queryByText('0%')).toBeNull();
    expect(names(row)).toEqual(['Copy id of photo.png → jpg', 'Remove photo.png → jpg from batch']);
  });

  it('says a forbidden job belongs to another account and offers Remove', () => {
    const row = renderRow(makeJob({ state: 'Forbidden', problem: { status: 403, error: 'jobs.forbidden', detail: null } }));
    expect(within(row).getByText(/belongs to another Convert API account/)).toBeInTheDocument();
    expect(names(row)).toEqual(['Copy id of photo.png → jpg', 'Remove photo.png → jpg from batch']);
  });
});
