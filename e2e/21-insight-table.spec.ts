import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, test, uniqueName } from './fixtures.ts';
import { jobRow, jobTable, statusCell } from './job-table.ts';
import { SCREENSHOT_DIR } from './stacks.ts';

const SAMPLES = path.resolve(import.meta.dirname, '..', 'samples');

// Jobs last 2 s on this stack. A tall window: the charts and the failure groups sit above the table.
test.use({ stack: 'shortRetention', viewport: { width: 1440, height: 1400 } });

test('a failure group of uploaded files is sent again with one click, and each row shows its second attempt', async ({ page, api }) => {
  test.setTimeout(120_000);
  const name = uniqueName('Group retry');
  const { batch } = await api.createBatch(name);
  await page.goto(`/batches/${batch.id}`);
  await page.getByLabel('Files to upload').setInputFiles([
    { name: 'harbor.png', mimeType: 'image/png', buffer: await readFile(path.join(SAMPLES, 'photo-harbor.png')) },
    // PNGs by name only: the service accepts them, then each job fails with convert.invalid_input.
    { name: 'broken-1.png', mimeType: 'image/png', buffer: Buffer.from('this is not a PNG image at all') },
    { name: 'broken-2.png', mimeType: 'image/png', buffer: Buffer.from('nor is this one, whatever its name says') },
  ]);
  const panel = page.getByRole('region', { name: 'Uploads' });
  await panel.getByLabel('Target format for png').selectOption('jpg');
  await panel.getByRole('button', { name: 'Send 3 files' }).click();

  // Below 1536 px the charts and failures start folded: unfold them as an operator would.
  await page.getByRole('button', { name: 'Charts and failures', expanded: false }).click();
  // One group: the count, the plain sentence and its next step, the machine code beside them.
  const failures = page.getByRole('region', { name: 'Failures by cause' });
  const group = failures.getByRole('listitem', { name: /^2 jobs failed: The file could not be read as its format/ });
  await expect(group).toBeVisible({ timeout: 60_000 });
  await expect(group).toContainText('Check the file and upload it again.');
  await expect(group).toContainText('convert.invalid_input');
  await expect(statusCell(jobRow(page, name, 'harbor.png → jpg'))).toContainText(/Succeeded|Expired/);

  await group.getByRole('button', { name: 'Retry 2', exact: true }).click();
  for (const file of ['broken-1.png → jpg', 'broken-2.png → jpg']) {
    const row = jobRow(page, name, file);
    await expect(row).toContainText('attempt 2; attempt 1 failed: convert.invalid_input', { timeout: 30_000 });
    await expect(statusCell(row)).toContainText('Failed', { timeout: 60_000 });
  }
  // The second failures are a group again, of the new jobs.
  await expect(failures.getByRole('listitem', { name: /^2 jobs failed: / })).toBeVisible();
  const snapshot = await api.snapshot(batch.id);
  expect(snapshot.jobs.filter((j) => j.fileName?.startsWith('broken-')).map((j) => j.submission?.attempt)).toEqual([2, 2]);
});

test('wait and run times are optional columns, sorted by clicking their header', async ({ page, api }) => {
  const name = uniqueName('Times');
  const { batch } = await api.createBatch(name);
  await api.submitSample(batch.id, 'photo-harbor.png', 'jpg');
  await api.submitSample(batch.id, 'photo-forest.jpg', 'png');
  await page.goto(`/batches/${batch.id}`);
  const table = jobTable(page, name);
  // Outputs expire 12 s after completion here: Succeeded, then Expired.
  await expect(statusCell(jobRow(page, name, 'photo-forest.jpg → png'))).toContainText(/Succeeded|Expired/, { timeout: 45_000 });
  await expect(statusCell(jobRow(page, name, 'photo-harbor.png → jpg'))).toContainText(/Succeeded|Expired/, { timeout: 45_000 });
  await expect(table.getByRole('columnheader', { name: /^Run/ })).toHaveCount(0);

  // Folded into a menu, so a laptop keeps its rows.
  await page.getByRole('button', { name: 'Columns' }).click();
  const columns = page.getByRole('group', { name: 'Optional columns' });
  // Clicked, not check(): the box follows the address, which the router updates a moment later.
  await columns.getByRole('checkbox', { name: 'Wait time' }).click();
  await expect(columns.getByRole('checkbox', { name: 'Wait time' })).toBeChecked();
  await columns.getByRole('checkbox', { name: 'Run time' }).click();
  await expect(columns.getByRole('checkbox', { name: 'Run time' })).toBeChecked();
  await expect(page).toHaveURL(/[?&]cols=wait%2Crun/);
  const runHeader = table.getByRole('columnheader', { name: /^Run/ });
  await expect(runHeader).toBeVisible();
  // Each finished job has a run time (seconds), in the column before Actions.
  const cells = jobRow(page, name, 'photo-harbor.png → jpg').getByRole('cell');
  await expect(cells.nth(8)).toHaveText(/^\d+(\.\d)? s$/);

  await expect(runHeader).not.toHaveAttribute('aria-sort');
  await runHeader.getByRole('button').click();
  await expect(runHeader).toHaveAttribute('aria-sort', 'descending');
  await expect(page).toHaveURL(/[?&]sort=run/);
  await expect(page.getByLabel('Sort')).toHaveValue('run');
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOT_DIR}/batch-time-columns.png`, animations: 'disabled' });
  // A second click goes back to the default order.
  await runHeader.getByRole('button').click();
  await expect(runHeader).not.toHaveAttribute('aria-sort');
  await expect(table.getByRole('columnheader', { name: /^File/ })).not.toHaveAttribute('aria-sort');
});
