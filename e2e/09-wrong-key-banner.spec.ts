import { expect, test, uniqueName } from './fixtures.ts';
import { fakeJobId, jobRow, jobTable } from './job-table.ts';

// A dashboard whose FAST_API_KEY the Convert service refuses (401 api_key.invalid_or_ip_not_allowed).
test.use({ stack: 'wrongKey' });

const BANNER =
  "The dashboard server's API key was refused by the Convert API (wrong key or IP not allowed). Set FAST_API_KEY and restart the server.";

test('with a wrong API key the batch shows one banner, not an error on every row', async ({ page }) => {
  const name = uniqueName('Wrong key');
  const ids = [fakeJobId(), fakeJobId(), fakeJobId()];

  await page.goto('/');
  await page.getByRole('button', { name: 'New batch', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Create batch' });
  await dialog.getByRole('textbox', { name: 'Batch name' }).fill(name);
  await dialog.getByRole('textbox', { name: 'Job ids (optional)' }).fill(ids.join('\n'));
  await dialog.getByRole('button', { name: 'Create batch', exact: true }).click();
  await expect(dialog.getByRole('status', { name: 'Id import result' })).toContainText('3 ids added');
  await dialog.getByRole('link', { name: 'Open batch' }).click();

  await expect(page.getByRole('alert', { name: BANNER, exact: true })).toBeVisible();
  await expect(page.getByRole('alert')).toHaveCount(1);
  const table = jobTable(page, name);
  await expect(table.getByRole('row')).toHaveCount(4);
  await expect(table.getByRole('alert')).toHaveCount(0);
  for (const id of ids) {
    await expect(jobRow(page, name, id)).not.toContainText(/Forbidden|Gone|Failed/);
  }

  // The batches page says it once too.
  await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'Batches' }).click();
  await expect(page.getByRole('table', { name: 'Batches' })).toBeVisible();
  await expect(page.getByRole('alert', { name: BANNER, exact: true })).toHaveCount(1);
});
