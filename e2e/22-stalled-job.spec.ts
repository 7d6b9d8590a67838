import { mkdir } from 'node:fs/promises';
import { expect, test, uniqueName } from './fixtures.ts';
import { fakeJobId, jobRow, jobTable, statusCell } from './job-table.ts';
import { SCREENSHOT_DIR } from './stacks.ts';

// Jobs on this stack stay at 0 % for minutes, and the stall default is 5 s (STALL_DEFAULT_SECONDS).
test.use({ stack: 'stalls' });

test('a running job whose progress does not move is marked Stalled? in its row, and the chip shows only it', async ({ page, api }) => {
  const name = uniqueName('Stalls');
  // Beside it a job that is not stalled: an id nobody created, which the service answers 404 (Gone).
  const { batch } = await api.createBatch(name, fakeJobId());
  const stuck = await api.submitSample(batch.id, 'photo-harbor.png', 'jpg');
  try {
    await page.goto(`/batches/${batch.id}`);
    const table = jobTable(page, name);
    await expect(table.getByRole('row')).toHaveCount(3);
    const row = jobRow(page, name, 'photo-harbor.png → jpg');
    await expect(statusCell(row)).toContainText('Running');
    // The mark, and for screen readers the rule that decided it, with the threshold the server uses.
    await expect(row).toContainText(/Stalled\? \d+ s/, { timeout: 30_000 });
    await expect(row).toContainText('the threshold is 5 s');
    await expect(row).toContainText('the default of 5 s applies');

    const chip = page.getByRole('button', { name: /^Stalled\? \(1\)/ });
    await expect(chip).toHaveAttribute('aria-pressed', 'false');
    // The chip describes the rule with the server's numbers, not the built-in 5 minutes.
    await expect(chip).toContainText('or for 5 s while fewer than 3 of them have finished');
    await chip.click();
    await expect(chip).toHaveAttribute('aria-pressed', 'true');
    await expect(page).toHaveURL(/[?&]stalled=1/);
    // The header row and the stalled job only.
    await expect(table.getByRole('row')).toHaveCount(2);
    await expect(row).toBeVisible();
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOT_DIR}/batch-stalled.png`, animations: 'disabled' });

    // The export of this filter holds the same job.
    const exported = await page.request.get(`/api/batches/${batch.id}/export.json?stalled=1`);
    expect(((await exported.json()) as { id: string }[]).map((r) => r.id)).toEqual([stuck]);
  } finally {
    // Its worker is paced for 10 hours: give it back to the service.
    expect(await api.cancelJob(stuck)).toBe(202);
  }
});
