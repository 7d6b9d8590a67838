import { mkdir, readFile, rm } from 'node:fs/promises';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import { SCREENSHOT_DIR } from './stacks.ts';
import { jobRow, statusCell } from './job-table.ts';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * The same view in the light and the dark system theme, as `<name>-light.png` and `<name>-dark.png`: only of a
 * page that rendered its heading and shows no error banner, and only counted when the file was really written
 * and the two themes really differ (the page's surface colour, and the pictures).
 */
async function screenshotBothThemes(page: Page, name: string, heading: string | RegExp): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const pictures: Buffer[] = [];
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    const surface = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    if (colorScheme === 'light') expect(surface).toBe('rgb(255, 255, 255)');
    else expect(surface).not.toBe('rgb(255, 255, 255)');
    await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
    await expect(page.getByRole('alert')).toHaveCount(0);
    const path = `${SCREENSHOT_DIR}/${name}-${colorScheme}.png`;
    await rm(path, { force: true });
    await page.screenshot({ path, animations: 'disabled' });
    const bytes = await readFile(path);
    expect(bytes.subarray(0, 8).equals(PNG_SIGNATURE), `${path} is a PNG`).toBe(true);
    expect(bytes.length).toBeGreaterThan(10_000);
    pictures.push(bytes);
  }
  expect(pictures[0].equals(pictures[1]), `${name}: light and dark screenshots differ`).toBe(false);
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
  await screenshotBothThemes(page, 'batch-busy', batchName);

  // The table is virtualised and the charts and panels above it leave room for a few rows: find the job by name.
  await page.getByRole('searchbox', { name: 'Search by id or file name' }).fill('photo-harbor');
  const photo = jobRow(page, batchName, 'photo-harbor.png → jpg');
  await expect(statusCell(photo)).toContainText('Succeeded', { timeout: 45_000 });
  await photo.getByRole('link', { name: 'photo-harbor.png → jpg', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'photo-harbor.png', level: 1 })).toBeVisible();
  await expect(page).toHaveTitle(/^Succeeded/);
  await expect(page.getByRole('link', { name: 'Download photo-harbor.jpg' })).toBeVisible();
  await screenshotBothThemes(page, 'job', 'photo-harbor.png');

  await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'Batches' }).click();
  // Earlier specs may have made demo batches of the same name.
  await expect(page.getByRole('table', { name: 'Batches' }).getByRole('link', { name: batchName }).first()).toBeVisible();
  await screenshotBothThemes(page, 'batches', 'Batches');

  // Leave the shared service idle for whatever runs next: cancel what is still active.
  await page.goto(batchUrl);
  const table = page.getByRole('table', { name: `Jobs of ${batchName}` });
  await table.getByRole('checkbox', { name: /^Select all \d+ matching jobs$/ }).check();
  await page.getByRole('region', { name: 'Selection' }).getByRole('button', { name: 'Cancel selected' }).click();
  await expect(page.getByRole('status', { name: 'Bulk action result' })).toContainText(/Canceled: \d+ of 12\./);
});
