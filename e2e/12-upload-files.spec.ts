import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, test, uniqueName } from './fixtures.ts';
import { jobRow, statusCell } from './job-table.ts';

const SAMPLES = path.resolve(import.meta.dirname, '..', 'samples');

test('uploading files through the dialog submits each one, tracks it in the batch, and explains a corrupt one', async ({ page, api }) => {
  const name = uniqueName('Upload');
  const { batch } = await api.createBatch(name);
  await page.goto(`/batches/${batch.id}`);

  await page.getByRole('toolbar', { name: 'Jobs toolbar' }).getByRole('button', { name: 'Upload files' }).click();
  const dialog = page.getByRole('dialog', { name: 'Upload files' });
  await dialog.getByLabel('Files to convert').setInputFiles([
    { name: 'harbor.png', mimeType: 'image/png', buffer: await readFile(path.join(SAMPLES, 'photo-harbor.png')) },
    // A PNG by name only: the service accepts it, then the job fails with a reason the row must show.
    { name: 'broken.png', mimeType: 'image/png', buffer: Buffer.from('this is not a PNG image at all') },
  ]);
  // The target list comes from GET /convert/conversions for the files' source format.
  const target = dialog.getByLabel('Target format');
  await expect(target.getByRole('option', { name: 'webp', exact: true })).toHaveCount(1);
  await expect(target.getByRole('option', { name: 'png', exact: true })).toHaveCount(0);
  await target.selectOption('webp');
  await dialog.getByRole('button', { name: 'Upload 2 files' }).click();

  const uploads = dialog.getByRole('list', { name: 'Uploads' });
  await expect(uploads.getByRole('listitem', { name: 'harbor.png' })).toContainText('Submitted');
  await expect(uploads.getByRole('listitem', { name: 'broken.png' })).toContainText('Submitted');
  await dialog.getByRole('button', { name: 'Close' }).click();

  const good = jobRow(page, name, 'harbor.png → webp');
  await expect(statusCell(good)).toContainText('Succeeded', { timeout: 45_000 });
  await expect(good.getByRole('link', { name: 'Download harbor.webp', exact: true })).toBeVisible();

  const bad = jobRow(page, name, 'broken.png → webp');
  await expect(statusCell(bad)).toContainText('Failed', { timeout: 45_000 });
  // The row says why in a sentence (the machine code is in its tooltip).
  await expect(bad).toContainText('The file could not be read as its format');
  await expect(bad.getByRole('link', { name: /^Download/ })).toHaveCount(0);

  // Both were recorded before the service answered: the snapshot knows their names and target.
  const snapshot = await api.snapshot(batch.id);
  expect(snapshot.jobs.map((j) => [j.fileName, j.targetFormat]).sort()).toEqual([
    ['broken.png', 'webp'],
    ['harbor.png', 'webp'],
  ]);
});
