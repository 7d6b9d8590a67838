import { describe, expect, it, vi } from 'vitest';
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { BatchInsight } from '../../../../contract/insight-api.ts';
import { renderWithProviders } from '../../../testing/render.tsx';
import { StalledChip } from './stalled-chip.tsx';

const rules: BatchInsight['rules'] = {
  stallDefaultMs: 5 * 60_000,
  stallFactor: 4,
  stallMinMs: 60_000,
  stallMinSamples: 3,
  queueStallMs: 10 * 60_000,
  etaMinCompletions: 5,
  etaStallMinMs: 5 * 60_000,
};
const stalled = (jobId: string) => ({ jobId, unchangedMs: 6 * 60_000, thresholdMs: 5 * 60_000, reason: 'r' });

describe('Stalled? chip', () => {
  it('counts the stalled jobs, explains the rule in its name, and toggles the filter', async () => {
    const onChange = vi.fn();
    renderWithProviders(<StalledChip insight={{ stalled: [stalled('a'), stalled('b')], rules }} active={false} onChange={onChange} />);
    const chip = screen.getByRole('button', { name: /^Stalled\? \(2\)\. A running job is marked Stalled\? when its percent and phase have not changed for 4× the median run time .* or for 5 min while fewer than 3 of them have finished\.$/ });
    expect(chip).toHaveAttribute('aria-pressed', 'false');
    await userEvent.click(chip);
    expect(onChange).toHaveBeenCalledWith(true);
  });

  it('is hidden while nothing is stalled, unless its filter is on', () => {
    const { unmount } = renderWithProviders(<StalledChip insight={{ stalled: [], rules }} active={false} onChange={() => {}} />);
    expect(screen.queryByRole('button')).toBeNull();
    unmount();
    renderWithProviders(<StalledChip insight={{ stalled: [], rules }} active onChange={() => {}} />);
    expect(screen.getByRole('button', { name: /^Stalled\? \(0\)/ })).toHaveAttribute('aria-pressed', 'true');
  });
});
