import { describe, expect, it } from 'vitest';
import { screen, within } from '@testing-library/react';
import type { BatchSummary, ViewCounts } from '../../../../contract/dashboard-api.ts';
import { renderWithProviders } from '../../../testing/render.tsx';
import { BatchList } from './batch-list.tsx';

const NONE: ViewCounts = { Queued: 0, Running: 0, Succeeded: 0, Failed: 0, Canceled: 0, Unknown: 0, Gone: 0, Forbidden: 0, Expired: 0, Waiting: 0, Sending: 0, InDoubt: 0 };

function batch(overrides: Partial<BatchSummary>): BatchSummary {
  return {
    id: 'b1',
    name: 'Invoices',
    createdAt: '2026-11-29T09:00:00Z',
    jobCount: 0,
    counts: NONE,
    outputsReady: 0,
    progressPercent: 0,
    inputBytes: 0,
    outputBytes: 0,
    credits: 0,
    ...overrides,
  };
}

function row(summary: BatchSummary) {
  renderWithProviders(<BatchList batches={[summary]} />);
  return screen.getByRole('row', { name: new RegExp(summary.name) });
}

describe('batch list', () => {
  it('says "1 credit" for one credit and "2 credits" for two', () => {
    const one = row(batch({ name: 'One', jobCount: 1, counts: { ...NONE, Succeeded: 1 }, progressPercent: 100, credits: 1 }));
    expect(within(one).getByText(/· 1 credit$/)).toBeInTheDocument();
    const two = row(batch({ id: 'b2', name: 'Two', jobCount: 2, counts: { ...NONE, Succeeded: 2 }, progressPercent: 100, credits: 2 }));
    expect(within(two).getByText(/· 2 credits$/)).toBeInTheDocument();
  });

  it('names the batch link after the batch', () => {
    row(batch({ name: 'Invoices' }));
    expect(screen.getByRole('link', { name: 'Invoices' })).toHaveAttribute('href', '/batches/b1');
  });

  it('shows no percent and an empty bar for a batch whose ids are all gone or forbidden, and says how many', () => {
    const r = row(batch({ jobCount: 3, counts: { ...NONE, Gone: 2, Forbidden: 1 }, progressPercent: 0 }));
    const progress = within(r).getByRole('progressbar', { name: 'Progress of Invoices' });
    expect(progress).toHaveAttribute('aria-valuenow', '0');
    expect(progress).toHaveAttribute('aria-valuetext', 'No progress to show: every job is gone or forbidden');
    expect(within(r).queryByText(/\d+%/)).toBeNull();
    expect(within(r).getByRole('img', { name: 'Job states: 2 gone, 1 forbidden' })).toBeInTheDocument();
    expect(within(r).getByText('2 gone')).toBeInTheDocument();
    expect(within(r).getByText('1 forbidden')).toBeInTheDocument();
  });

  it('still shows the percent of the jobs that can be measured next to gone ones', () => {
    const r = row(batch({ jobCount: 3, counts: { ...NONE, Gone: 1, Running: 2 }, progressPercent: 40 }));
    expect(within(r).getByRole('progressbar', { name: 'Progress of Invoices' })).toHaveAttribute('aria-valuenow', '40');
    expect(within(r).getByText('40%')).toBeInTheDocument();
  });

  it('never reads a bare "100%" for a batch that ended with failures', () => {
    const r = row(batch({ jobCount: 12, counts: { ...NONE, Succeeded: 11, Failed: 1 }, progressPercent: 100 }));
    expect(within(r).getByText('Ended · 1 failed')).toBeInTheDocument();
    expect(within(r).queryByText('100%')).toBeNull();
    expect(within(r).getByRole('progressbar', { name: 'Progress of Invoices' })).toHaveAttribute('aria-valuetext', 'Ended: 1 of 12 jobs failed');
  });

  it('says how many failed so far while a batch still runs', () => {
    const r = row(batch({ jobCount: 4, counts: { ...NONE, Running: 2, Failed: 1, Succeeded: 1 }, progressPercent: 75 }));
    expect(within(r).getByText('75% · 1 failed')).toBeInTheDocument();
  });
});
