import type { ReactElement } from 'react';
import { render } from '@testing-library/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter } from 'react-router-dom';
import type { BatchJob } from '../../contract/dashboard-api.ts';

/** A real QueryClient (no retries, so failures show at once) and a router around the UI under test. */
export function renderWithProviders(ui: ReactElement, { route = '/' }: { route?: string } = {}) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  const result = render(
    <QueryClientProvider client={queryClient}>
      <MemoryRouter initialEntries={[route]}>{ui}</MemoryRouter>
    </QueryClientProvider>,
  );
  return { ...result, queryClient };
}

export const NOW = Date.parse('2026-11-29T10:00:00Z');

export function makeJob(overrides: Partial<BatchJob> = {}): BatchJob {
  return {
    id: '019c56457340753ba9441d7b4e6516a0',
    state: 'Queued',
    fileName: 'photo.png',
    targetFormat: 'jpg',
    addedAt: '2026-11-29T09:50:00Z',
    submittedAt: '2026-11-29T09:50:00Z',
    last: {
      progress: { percent: 0, phase: 'queued' },
      metrics: { inputBytes: 120_000, outputBytes: 0, creditCost: 1 },
      error: null,
      output: null,
    },
    lastCheckedAt: '2026-11-29T09:59:59Z',
    lastSeenActiveAt: '2026-11-29T09:59:59Z',
    firstSeenRunningAt: null,
    firstSeenTerminalAt: null,
    downloadedAt: null,
    outputExpired: false,
    expiry: null,
    problem: null,
    kept: null,
    keepProblem: null,
    ...overrides,
  };
}
