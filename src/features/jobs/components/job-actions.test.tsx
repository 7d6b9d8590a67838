import { afterEach, describe, expect, it, vi } from 'vitest';
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderWithProviders } from '../../../testing/render.tsx';
import { JobActions } from './job-actions.tsx';

afterEach(() => vi.unstubAllGlobals());

const JOB = '019c56457340753ba9441d7b4e6516a0';

function answer(status: number, body: unknown): Response {
  return new Response(body === null ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

describe('a Cancel that lost the race', () => {
  it('asks the server for the job at once and refreshes the batch, and says what happened', async () => {
    const fetchMock = vi.fn(async (url: string) =>
      url.endsWith('/cancel')
        ? answer(409, { error: 'jobs.not_cancellable', detail: 'Job already Succeeded.' })
        : answer(200, { id: JOB, state: 'Succeeded' }),
    );
    vi.stubGlobal('fetch', fetchMock);
    const { queryClient } = renderWithProviders(
      <JobActions jobId={JOB} name="photo.png" state="Queued" output={null} outputExpired={false} batchId="b1" />,
    );
    const invalidate = vi.spyOn(queryClient, 'invalidateQueries');
    await userEvent.click(screen.getByRole('button', { name: 'Cancel photo.png' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(/already finished/);
    await vi.waitFor(() => expect(invalidate).toHaveBeenCalledWith({ queryKey: ['batches', 'detail', 'b1'] }));
    expect(fetchMock.mock.calls.map(([url]) => url)).toEqual([`/convert/job/${JOB}/cancel`, `/api/batches/b1/jobs/${JOB}/refresh`]);
  });
});
