import { expect, test, uniqueName } from './fixtures.ts';
import { jobRow, statusCell } from './job-table.ts';

test('deleting a finished job asks for confirmation, then the row says it is gone', async ({ page, api }) => {
  const name = uniqueName('Delete one');
  const { batch } = await api.createBatch(name);
  const jobId = await api.submitSample(batch.id, 'photo-harbor.png', 'jpg');

  await page.goto(`/batches/${batch.id}`);
  const row = jobRow(page, name, 'photo-harbor.png → jpg');
  await expect(statusCell(row)).toContainText('Succeeded', { timeout: 45_000 });

  await row.getByRole('button', { name: 'Delete photo-harbor.png → jpg', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete photo-harbor.png → jpg?' });
  await expect(dialog).toContainText('cannot be undone');
  // Canceling the dialog changes nothing.
  await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
  await expect(dialog).toBeHidden();
  await expect(statusCell(row)).toContainText('Succeeded');

  await row.getByRole('button', { name: 'Delete photo-harbor.png → jpg', exact: true }).click();
  await dialog.getByRole('button', { name: 'Delete job', exact: true }).click();
  await expect(dialog).toBeHidden();

  await expect(statusCell(row)).toContainText('Gone');
  await expect(row).toContainText('deleted through the dashboard');
  await expect(row.getByRole('link', { name: /^Download / })).toHaveCount(0);
  await expect(row.getByRole('button', { name: 'Remove photo-harbor.png → jpg from batch', exact: true })).toBeVisible();
  expect((await api.jobStatus(jobId)).status).toBe(404);

  // Removing it takes it out of the batch.
  await row.getByRole('button', { name: 'Remove photo-harbor.png → jpg from batch', exact: true }).click();
  await expect(row).toHaveCount(0);
  await expect(page.getByText('This batch has no jobs yet.')).toBeVisible();
});
