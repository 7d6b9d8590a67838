import { afterEach, describe, expect, it, vi } from 'vitest';
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderWithProviders } from '../../../testing/render.tsx';
import { DownloadLink } from './download-link.tsx';

afterEach(() => vi.unstubAllGlobals());

function status(output: unknown, state = 'Succeeded') {
  return new Response(
    JSON.stringify({ id: 'x', status: state, progress: { percent: 100, phase: null }, metrics: { inputBytes: 1, outputBytes: 1, creditCost: 1 }, error: null, output }),
    { status: 200 },
  );
}

describe('download link', () => {
  it('explains an expired output instead of navigating to a 410 page', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => status(null)));
    const onProblem = vi.fn();
    renderWithProviders(
      <DownloadLink jobId="019c56457340753ba9441d7b4e6516a0" fileName="photo.jpg" label="Download photo.jpg" expiresAtLocalMs={Date.now() - 3 * 60_000} onProblem={onProblem} />,
    );
    await userEvent.click(screen.getByRole('link', { name: 'Download photo.jpg' }));
    await vi.waitFor(() => expect(onProblem).toHaveBeenCalledWith('This output expired 3 minutes ago — it can no longer be downloaded.'));
  });

  it('says the output is not ready for a job that is still running', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => status(null, 'Running')));
    const onProblem = vi.fn();
    renderWithProviders(<DownloadLink jobId="019c56457340753ba9441d7b4e6516a0" fileName="a.jpg" label="Download a.jpg" onProblem={onProblem} />);
    await userEvent.click(screen.getByRole('link', { name: 'Download a.jpg' }));
    await vi.waitFor(() => expect(onProblem).toHaveBeenCalledWith(expect.stringContaining('no output to download yet')));
  });
});
