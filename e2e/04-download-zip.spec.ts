import { readFile } from 'node:fs/promises';
import { unzip } from '../server/testing/unzip.ts';
import { expect, test, uniqueName } from './fixtures.ts';
import { jobRow, statusCell } from './job-table.ts';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

test('downloading the 3-page PDF converted to PNG gives a ZIP with three images', async ({ page, api }) => {
  const name = uniqueName('PDF pages');
  const { batch } = await api.createBatch(name);
  const jobId = await api.submitSample(batch.id, 'report.pdf', 'png');

  await page.goto(`/batches/${batch.id}`);
  const row = jobRow(page, name, 'report.pdf → png');
  await expect(statusCell(row)).toContainText('Succeeded', { timeout: 45_000 });

  const { body: status } = await api.jobStatus(jobId);
  expect(status?.output).toMatchObject({ contentType: 'application/zip', fileCount: 3 });
  const fileName = status!.output!.fileName;
  expect(fileName).toMatch(/\.zip$/);

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    row.getByRole('link', { name: `Download ${fileName}`, exact: true }).click(),
  ]);
  expect(download.suggestedFilename()).toBe(fileName);
  const files = [...(await unzip(await readFile(await download.path())))].filter(([name]) => !name.endsWith('/'));
  expect(files).toHaveLength(3);
  for (const [name, bytes] of files) {
    expect(name).toMatch(/\.png$/);
    expect(bytes.subarray(0, 8).equals(PNG_SIGNATURE), `${name} is a PNG`).toBe(true);
  }
});
