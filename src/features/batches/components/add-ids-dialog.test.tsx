import { afterEach, describe, expect, it, vi } from 'vitest';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { AddIdsResponse } from '../../../../contract/dashboard-api.ts';
import { renderWithProviders } from '../../../testing/render.tsx';
import { AddIdsDialog } from './add-ids-dialog.tsx';
import { IdFeedback } from './id-feedback.tsx';

afterEach(() => vi.unstubAllGlobals());

const RESULT: AddIdsResponse = {
  added: ['019c56457340753ba9441d7b4e6516a0', '019c56457340753ba9441d7b4e6516a1'],
  duplicates: 1,
  rejected: [
    { token: '019c56457340753ba9441d7b4e6516a', reason: 'wrong_length' },
    { token: '019c56457340753ba9441d7b4e6516zz', reason: 'not_hex' },
  ],
};

describe('id paste feedback', () => {
  it('lists how many ids were added and skipped, and each rejected token with its reason', () => {
    renderWithProviders(<IdFeedback result={RESULT} />);
    const status = screen.getByRole('status', { name: 'Id import result' });
    expect(within(status).getByText('2 ids added')).toBeInTheDocument();
    expect(within(status).getByText('1 duplicate skipped')).toBeInTheDocument();
    const rejected = within(status).getByRole('list', { name: 'Rejected tokens' });
    expect(within(rejected).getAllByRole('listitem')).toHaveLength(2);
    expect(within(rejected).getByText('a job id has exactly 32 hex characters')).toBeInTheDocument();
    expect(within(rejected).getByText('contains characters that are not hex (0-9, a-f)')).toBeInTheDocument();
  });

  it('posts the pasted text to the batch with the CSRF header and shows the answer', async () => {
    const fetchMock = vi.fn(async () => new Response(JSON.stringify(RESULT), { status: 200, headers: { 'Content-Type': 'application/json' } }));
    vi.stubGlobal('fetch', fetchMock);
    renderWithProviders(<AddIdsDialog batchId="b1" open onClose={() => {}} />);
    const dialog = screen.getByRole('dialog', { name: 'Add job ids' });
    await userEvent.type(within(dialog).getByRole('textbox', { name: 'Job ids to add' }), 'junk 019c56457340753ba9441d7b4e6516a0');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Add ids' }));
    expect(await within(dialog).findByText('2 ids added')).toBeInTheDocument();
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/batches/b1/ids');
    expect(JSON.parse(init.body as string)).toEqual({ text: 'junk 019c56457340753ba9441d7b4e6516a0' });
    expect(new Headers(init.headers).get('X-Requested-With')).toBe('fetch');
  });
});
