import { expect, test, uniqueName } from './fixtures.ts';
import { fakeJobId, jobRow, jobTable } from './job-table.ts';

test('creating a batch from pasted ids with junk shows each rejected token with its reason', async ({ page }) => {
  const name = uniqueName('Pasted ids');
  const [first, second] = [fakeJobId(), fakeJobId()];
  const hyphenated = `${second.slice(0, 8)}-${second.slice(8, 12)}-${second.slice(12, 16)}-${second.slice(16, 20)}-${second.slice(20)}`;
  const pasted = [
    `2025-03-01 12:00:01 INFO submitted job ${first}`,
    `${hyphenated},done`,
    `${first}`, // a duplicate
    '0123456789abcdef0123', // too short
    '0123456789abcdefXYZ0123456789abc', // not hex
    '0123456789abcdef-0123456789abcdef', // hyphens in the wrong place
  ].join('\n');

  await page.goto('/');
  await page.getByRole('button', { name: 'New batch', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Create batch' });
  await dialog.getByRole('textbox', { name: 'Batch name' }).fill(name);
  await dialog.getByRole('textbox', { name: 'Job ids (optional)' }).fill(pasted);
  await dialog.getByRole('button', { name: 'Create batch', exact: true }).click();

  const result = dialog.getByRole('status', { name: 'Id import result' });
  await expect(result).toContainText('2 ids added');
  await expect(result).toContainText('1 duplicate skipped');
  await expect(result).toContainText('3 rejected tokens');
  const rejected = result.getByRole('list', { name: 'Rejected tokens' }).getByRole('listitem');
  await expect(rejected).toHaveText([
    '0123456789abcdef0123a job id has exactly 32 hex characters',
    '0123456789abcdefXYZ0123456789abccontains characters that are not hex (0-9, a-f)',
    '0123456789abcdef-0123456789abcdefhyphens must split the id 8-4-4-4-12',
  ]);

  await dialog.getByRole('link', { name: 'Open batch' }).click();
  await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible();
  // Both ids are in the batch, named by id since no file name is known; the junk is not.
  await expect(jobRow(page, name, first)).toBeVisible();
  await expect(jobRow(page, name, second)).toBeVisible();
  await expect(jobTable(page, name).getByRole('row')).toHaveCount(3);
});

test('adding ids to a batch reports what was accepted and what was rejected and why', async ({ page, api }) => {
  const name = uniqueName('Add ids');
  const { batch } = await api.createBatch(name);
  const id = fakeJobId();

  await page.goto(`/batches/${batch.id}`);
  await page.getByRole('button', { name: 'Add job ids' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add job ids' });
  await dialog.getByRole('textbox', { name: 'Job ids to add' }).fill(`["${id}", "${id.slice(0, 30)}", "nothing-to-see"]`);
  await dialog.getByRole('button', { name: 'Add ids', exact: true }).click();

  const result = dialog.getByRole('status', { name: 'Id import result' });
  await expect(result).toContainText('1 id added');
  await expect(result.getByRole('list', { name: 'Rejected tokens' }).getByRole('listitem')).toHaveText([
    `${id.slice(0, 30)}a job id has exactly 32 hex characters`,
  ]);
  await dialog.getByRole('button', { name: 'Done', exact: true }).click();
  await expect(dialog).toBeHidden();
  await expect(jobRow(page, name, id)).toBeVisible();
  await expect(page.getByRole('button', { name: 'All (1)' })).toBeVisible();
});
