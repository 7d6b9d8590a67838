import { expect, test, uniqueName } from './fixtures.ts';
import { jobRow, statusCell } from './job-table.ts';

const SAMPLES = [
  { file: 'photo-harbor.png', to: 'jpg' },
  { file: 'badge.svg', to: 'png' },
  { file: 'photo-forest.jpg', to: 'webp' },
] as const;

test('bulk-deleting a selection reports how many were deleted, and skips a job another client deleted meanwhile', async ({ page, api }) => {
  const name = uniqueName('Bulk delete');
  const { batch } = await api.createBatch(name);
  const ids: Record<string, string> = {};
  for (const { file, to } of SAMPLES) ids[file] = await api.submitSample(batch.id, file, to);

  await page.goto(`/batches/${batch.id}`);
  await expect(page.getByRole('button', { name: 'Succeeded (3)' })).toBeVisible({ timeout: 45_000 });

  for (const { file, to } of SAMPLES) await jobRow(page, name, `${file} → ${to}`).getByRole('checkbox', { name: `Select ${file} → ${to}` }).check();
  const selection = page.getByRole('region', { name: 'Selection' });
  await expect(selection).toContainText('3 jobs selected');
  // Meanwhile another client deletes one of them through the dashboard: the live page shows it Gone at once,
  // so the bulk delete skips it instead of sending a delete that would fail.
  expect(await api.deleteJob(ids['badge.svg'])).toBe(204);
  await expect(statusCell(jobRow(page, name, 'badge.svg → png'))).toContainText('Gone');
  await selection.getByRole('button', { name: 'Delete selected' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete 3 jobs?' });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Delete 3 jobs', exact: true }).click();
  await expect(dialog).toBeHidden();

  const result = selection.getByRole('status', { name: 'Bulk action result' });
  await expect(result).toContainText('Deleted: 2 of 3.');
  await expect(result).toContainText('Skipped 1 (still queued or running, or unknown upstream).');

  for (const { file, to } of SAMPLES) await expect(statusCell(jobRow(page, name, `${file} → ${to}`))).toContainText('Gone');
  for (const { file } of SAMPLES) expect((await api.jobStatus(ids[file])).status, file).toBe(404);
});
