import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { expect, test, uniqueName } from './fixtures.ts';
import { jobRow, statusCell } from './job-table.ts';

test('downloading an output saves it under the status’s output file name as a valid file of that type', async ({ page, api }) => {
  const name = uniqueName('Download one');
  const { batch } = await api.createBatch(name);
  const jobId = await api.submitSample(batch.id, 'photo-harbor.png', 'jpg');

  await page.goto(`/batches/${batch.id}`);
  const row = jobRow(page, name, 'photo-harbor.png → jpg');
  await expect(statusCell(row)).toContainText('Succeeded', { timeout: 45_000 });

  const { body: status } = await api.jobStatus(jobId);
  expect(status?.output).toMatchObject({ contentType: 'image/jpeg', fileCount: 1 });
  const fileName = status!.output!.fileName;

  const link = row.getByRole('link', { name: `Download ${fileName}`, exact: true });
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  expect(download.suggestedFilename()).toBe(fileName);
  const bytes = await readFile(await download.path());
  expect([...bytes.subarray(0, 3)], 'JPEG starts with FF D8 FF').toEqual([0xff, 0xd8, 0xff]);
  const meta = await sharp(bytes).metadata();
  expect(meta.format).toBe('jpeg');
  expect(meta.width).toBeGreaterThan(0);
  expect(meta.height).toBeGreaterThan(0);
  // A plain link: the page itself stays where it was.
  await expect(page).toHaveURL(new RegExp(`/batches/${batch.id}$`));
});
