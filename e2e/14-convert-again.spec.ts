import { expect, test, uniqueName } from './fixtures.ts';
import { jobRow, statusCell } from './job-table.ts';

// Outputs expire 12 s after completion on this stack.
test.use({ stack: 'shortRetention' });

test('an expired output is converted again from the spooled source: a new job takes the row', async ({ page, api }) => {
  test.setTimeout(120_000);
  const name = uniqueName('Again');
  const { batch } = await api.createBatch(name);
  const first = await api.submitSample(batch.id, 'photo-harbor.png', 'jpg');
  await page.goto(`/batches/${batch.id}`);
  const row = jobRow(page, name, 'photo-harbor.png → jpg');
  await expect(statusCell(row)).toContainText('Succeeded', { timeout: 60_000 });

  // Once the server knows the output is gone, the row offers to convert it again.
  const again = row.getByRole('button', { name: 'Convert again photo-harbor.png → jpg', exact: true });
  await expect(again).toBeVisible({ timeout: 60_000 });
  await again.click();
  await expect(row).toContainText('attempt 2; attempt 1 output expired', { timeout: 30_000 });
  await expect(row.getByRole('link', { name: 'Download photo-harbor.jpg', exact: true })).toBeVisible({ timeout: 60_000 });
  const snapshot = await api.snapshot(batch.id);
  expect(snapshot.jobs).toHaveLength(1);
  expect(snapshot.jobs[0].id).not.toBe(first);
  expect(snapshot.jobs[0].submission).toMatchObject({ attempt: 2, history: [{ jobId: first, outcome: 'Succeeded' }] });
});
