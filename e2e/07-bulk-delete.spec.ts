import { expect, test, uniqueName } from './fixtures.ts';
import { jobRow, statusCell } from './job-table.ts';

const SAMPLES = [
  { file: 'photo-harbor.png', to: 'jpg' },
  { file: 'badge.svg', to: 'png' },
  { file: 'photo-forest.jpg', to: 'webp' },
] as const;

test('bulk-deleting a selection reports how many were deleted and which failed and why', async ({ page, api }) => {
  const name = uniqueName('Bulk delete');
  const { batch } = await api.createBatch(name);
  const ids: Record<string, string> = {};
  for (const { file, to } of SAMPLES) ids[file] = await api.submitSample(batch.id, file, to);

  await page.goto(`/batches/${batch.id}`);
  await expect(page.getByRole('button', { name: 'Succeeded (3)' })).toBeVisible({ timeout: 45_000 });

  for (const { file, to } of SAMPLES) await jobRow(page, name, `${file} → ${to}`).getByRole('checkbox', { name: `Select ${file} → ${to}` }).check();
  const selection = page.getByRole('region', { name: 'Selection' });
  await expect(selection).toContainText('3 jobs selected');
  await selection.getByRole('button', { name: 'Delete selected' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete 3 jobs?' });
  await expect(dialog).toBeVisible();

  // Meanwhile another client of the same account deletes one of them: its delete will fail with a 404.
  expect(await api.deleteJob(ids['badge.svg'])).toBe(204);
  await dialog.getByRole('button', { name: 'Delete 3 jobs', exact: true }).click();
  await expect(dialog).toBeHidden();

  const result = selection.getByRole('status', { name: 'Bulk action result' });
  await expect(result).toContainText('Deleted: 2 of 3.');
  await expect(result).toContainText('1 failed:');
  await expect(result.getByRole('listitem')).toHaveText([/^badge\.svg → png: The Convert API does not know this job/]);

  for (const { file, to } of SAMPLES) await expect(statusCell(jobRow(page, name, `${file} → ${to}`))).toContainText('Gone');
  for (const { file } of SAMPLES) expect((await api.jobStatus(ids[file])).status, file).toBe(404);
});
