import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { expect, test, uniqueName } from './fixtures.ts';
import { jobRow, statusCell } from './job-table.ts';

const SAMPLES = path.resolve(import.meta.dirname, '..', 'samples');

test('30 dropped files are received by the server, survive a reload of the page, and all end Succeeded', async ({ page, api }) => {
  test.setTimeout(240_000);
  const name = uniqueName('Drop');
  const { batch } = await api.createBatch(name);
  await page.goto(`/batches/${batch.id}`);

  const files = await Promise.all(
    Array.from({ length: 30 }, async (_, i) => ({
      name: `f-${String(i).padStart(2, '0')}.png`,
      mimeType: 'image/png',
      buffer: await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: i * 8, g: 100, b: 200 } } }).png().toBuffer(),
    })),
  );
  // The page-wide drop zone's own input (what a drop of files feeds).
  await page.getByLabel('Files to upload').setInputFiles(files);
  const panel = page.getByRole('region', { name: 'Uploads' });
  await expect(panel.getByRole('heading', { name: 'Convert 30 files to…' })).toBeVisible();
  await panel.getByLabel('Target format for png').selectOption('jpg');
  await panel.getByRole('button', { name: 'Send 30 files' }).click();

  await expect(panel).toContainText('30 of 30 files received', { timeout: 60_000 });
  // Said once to screen readers, not with every chunk.
  await expect(page.getByRole('status', { name: 'Announcements' })).toContainText('Upload finished: 30 files received');
  await expect(panel).toContainText('you may close this browser');
  // The account takes 18 at a time and each job lasts 6 s: the rest wait on the server, not in this tab.
  const table = page.getByRole('table', { name: `Jobs of ${name}`, exact: true });
  await expect(table).toBeVisible();
  await expect.poll(async () => (await api.snapshot(batch.id)).jobs.filter((j) => !j.id.startsWith('sub_')).length, { timeout: 30_000 }).toBeGreaterThanOrEqual(10);
  const before = await api.snapshot(batch.id);
  expect(before.jobs).toHaveLength(30);
  expect(before.jobs.some((j) => j.state === 'Waiting')).toBe(true);

  await page.reload();
  // The table is virtualised: the header's counts speak for all 30, the first rows for themselves.
  await expect(page.getByText('30 succeeded', { exact: true })).toBeVisible({ timeout: 150_000 });
  await expect(statusCell(jobRow(page, name, 'f-29.png → jpg'))).toContainText('Succeeded');
  const after = await api.snapshot(batch.id);
  expect(after.jobs).toHaveLength(30);
  expect(after.batch.counts.Succeeded).toBe(30);
});

test('a failed job is sent again from its spooled source, and the row keeps its history', async ({ page, api }) => {
  test.setTimeout(120_000);
  const name = uniqueName('Retry');
  const { batch } = await api.createBatch(name);
  await page.goto(`/batches/${batch.id}`);
  await page.getByLabel('Files to upload').setInputFiles([
    { name: 'harbor.png', mimeType: 'image/png', buffer: await readFile(path.join(SAMPLES, 'photo-harbor.png')) },
    // A PNG by name only: the service accepts it, then the job fails with a reason the row must show.
    { name: 'broken.png', mimeType: 'image/png', buffer: Buffer.from('this is not a PNG image at all') },
    { name: 'notes.xyz', mimeType: 'application/octet-stream', buffer: Buffer.from('nothing converts this') },
  ]);
  const panel = page.getByRole('region', { name: 'Uploads' });
  // Targets come from GET /convert/conversions for the source format; what nothing converts is skipped.
  const target = panel.getByLabel('Target format for png');
  await expect(target.getByRole('option', { name: 'png', exact: true })).toHaveCount(0);
  await target.selectOption('webp');
  await expect(panel).toContainText('Skipped, the Convert API cannot convert them: 1 file (xyz: notes.xyz)');
  await panel.getByRole('button', { name: 'Send 2 files' }).click();

  const good = jobRow(page, name, 'harbor.png → webp');
  await expect(statusCell(good)).toContainText('Succeeded', { timeout: 60_000 });
  const bad = jobRow(page, name, 'broken.png → webp');
  await expect(statusCell(bad)).toContainText('Failed', { timeout: 60_000 });
  await expect(bad).toContainText('could not be read as its format');

  await bad.getByRole('button', { name: 'Send again broken.png → webp', exact: true }).click();
  await expect(bad).toContainText('attempt 2; attempt 1 failed: convert.invalid_input', { timeout: 30_000 });
  await expect(statusCell(bad)).toContainText('Failed', { timeout: 60_000 });
  // Ids pasted from elsewhere have no source here: no button, and the reason.
  expect((await api.snapshot(batch.id)).jobs.find((j) => j.fileName === 'broken.png')?.submission?.attempt).toBe(2);
});
