import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderWithProviders } from '../../../testing/render.tsx';
import { UploadFilesDialog } from './upload-files-dialog.tsx';

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

const CONVERSIONS = {
  conversions: [
    { id: 'image.png-to-jpg', category: 'Images', sourceFormats: ['png'], targetFormat: 'jpg', outputExtension: 'jpg', creditCost: 1, maxFileBytes: 1 },
  ],
};

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

const JOB = { id: '019c56457340753ba9441d7b4e6516a0', state: 'Queued' };

describe('the upload dialog', () => {
  it('waits out a full queue for Retry-After and sends the file again, then reports each file on its own', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const posts: string[] = [];
    const answers = [
      json(429, { error: 'queue.limit_exceeded', detail: 'The account already has 18 jobs.' }, { 'Retry-After': '7' }),
      json(202, { job: JOB }),
      json(400, { error: 'request.empty_file', detail: 'The file is empty.' }),
    ];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string) => {
        if (url === '/convert/conversions') return json(200, CONVERSIONS);
        posts.push(url);
        return answers.shift()!;
      }),
    );
    const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
    renderWithProviders(<UploadFilesDialog batchId="b1" open onClose={() => {}} />);
    const dialog = screen.getByRole('dialog', { name: 'Upload files' });
    await user.upload(within(dialog).getByLabelText('Files to convert'), [
      new File(['png bytes'], 'a.png', { type: 'image/png' }),
      new File([''], 'b.png', { type: 'image/png' }),
    ]);
    await within(dialog).findByRole('option', { name: 'jpg' });
    await user.click(within(dialog).getByRole('button', { name: 'Upload 2 files' }));

    const uploads = within(dialog).getByRole('list', { name: 'Uploads' });
    const first = within(uploads).getByRole('listitem', { name: 'a.png' });
    expect(await within(first).findByText('Queue full, waiting')).toBeInTheDocument();
    expect(first).toHaveTextContent('sending again in 7 s');
    expect(posts).toHaveLength(1);

    // Nothing is sent again before Retry-After has passed.
    await act(() => vi.advanceTimersByTimeAsync(6_000));
    expect(posts).toHaveLength(1);
    await act(() => vi.advanceTimersByTimeAsync(1_500));
    expect(await within(first).findByText('✓ Submitted')).toBeInTheDocument();

    const second = within(uploads).getByRole('listitem', { name: 'b.png' });
    expect(await within(second).findByText('✕ Failed')).toBeInTheDocument();
    // A refusal other than a full queue is reported, never retried.
    expect(posts).toHaveLength(3);
    expect(posts[0]).toBe('/api/batches/b1/files?targetFormat=jpg&fileName=a.png');
    expect(posts[2]).toBe('/api/batches/b1/files?targetFormat=jpg&fileName=b.png');
  });
});
