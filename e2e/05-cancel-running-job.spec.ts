import { expect, test, uniqueName } from './fixtures.ts';
import { jobRow, statusCell } from './job-table.ts';

test('canceling a running job turns it Canceled', async ({ page, api }) => {
  const name = uniqueName('Cancel');
  const { batch } = await api.createBatch(name);
  const jobId = await api.submitSample(batch.id, 'clip.mp4', 'webm');

  await page.goto(`/batches/${batch.id}`);
  const row = jobRow(page, name, 'clip.mp4 → webm');
  // Jobs on this stack run for at least 6 s, and the row shows Running within a couple of seconds.
  await expect(statusCell(row)).toContainText('Running');
  await row.getByRole('button', { name: 'Cancel clip.mp4 → webm', exact: true }).click();

  await expect(statusCell(row)).toContainText('Canceled');
  await expect(row.getByRole('button', { name: 'Cancel clip.mp4 → webm', exact: true })).toHaveCount(0);
  await expect(row.getByRole('button', { name: 'Delete clip.mp4 → webm', exact: true })).toBeVisible();
  await expect(row.getByRole('alert')).toHaveCount(0);
  expect((await api.jobStatus(jobId)).body?.status).toBe('Canceled');
});
