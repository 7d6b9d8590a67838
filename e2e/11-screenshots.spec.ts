import { mkdir } from 'node:fs/promises';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import { SCREENSHOT_DIR } from './stacks.ts';
import { jobRow, statusCell } from './job-table.ts';

/** The same view in the light and the dark system theme, as `<name>-light.png` and `<name>-dark.png`. */
async function screenshotBothThemes(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await expect(page.locator('html')).toBeVisible();
    await page.screenshot({ path: `${SCREENSHOT_DIR}/${name}-${colorScheme}.png`, animations: 'disabled' });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

test('the batches, a busy batch and a job page are saved as screenshots in light and dark', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Create demo batch' }).click();
  await expect(page).toHaveURL(/\/batches\/[^/]+$/);
  const batchName = (await page.getByRole('heading', { level: 1 }).textContent()) ?? '';
  const batchUrl = page.url();

  // Busy: the first round of jobs running while the rest wait.
  const filters = page.getByRole('group', { name: 'Filter by status' });
  await expect(filters.getByRole('button', { name: /Running \(\d+\)/ })).toBeVisible();
  await expect(filters.getByRole('button', { name: /Queued \(\d+\)/ })).toBeVisible();
  await screenshotBothThemes(page, 'batch-busy');

  const photo = jobRow(page, batchName, 'photo-harbor.png → jpg');
  await expect(statusCell(photo)).toContainText('Succeeded', { timeout: 45_000 });
  await photo.getByRole('link', { name: 'photo-harbor.png → jpg', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'photo-harbor.png', level: 1 })).toBeVisible();
  await expect(page).toHaveTitle(/^Succeeded/);
  await expect(page.getByRole('link', { name: 'Download photo-harbor.jpg' })).toBeVisible();
  await screenshotBothThemes(page, 'job');

  await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'Batches' }).click();
  // Earlier specs may have made demo batches of the same name.
  await expect(page.getByRole('table', { name: 'Batches' }).getByRole('link', { name: batchName }).first()).toBeVisible();
  await screenshotBothThemes(page, 'batches');

  // Leave the shared service idle for whatever runs next: cancel what is still active.
  await page.goto(batchUrl);
  const table = page.getByRole('table', { name: `Jobs of ${batchName}` });
  await table.getByRole('checkbox', { name: /^Select all \d+ matching jobs$/ }).check();
  await page.getByRole('region', { name: 'Selection' }).getByRole('button', { name: 'Cancel selected' }).click();
  await expect(page.getByRole('status', { name: 'Bulk action result' })).toContainText(/Canceled: \d+ of 12\./);
});
