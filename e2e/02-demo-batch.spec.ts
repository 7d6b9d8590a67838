import { expect, test } from './fixtures.ts';
import { jobRow, progressOf, statusCell, valueNow } from './job-table.ts';

const DEMO = /^Demo/;
// Tenth of twelve sample files: with four workers it waits in the queue for two rounds (≥ 6 s each).
const WATCHED = 'notes.md';
/** The row's name: one file may go to several targets. */
const WATCHED_ROW = 'notes.md → epub';

test('the demo batch shows a job going from Queued through Running, its progress bar moving, to Succeeded', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Create demo batch' }).click();
  await expect(page).toHaveURL(/\/batches\/[^/]+$/);
  // The address changes before the batch page has drawn its own heading: wait for it, then read the name.
  const heading = page.getByRole('heading', { level: 1 });
  await expect(heading).toHaveText(DEMO);
  const batchName = (await heading.textContent()) ?? '';

  await expect(page.getByRole('button', { name: 'All (12)' })).toBeVisible();
  const row = jobRow(page, batchName, WATCHED_ROW);
  await expect(statusCell(row)).toContainText('Queued');
  await expect(progressOf(row, WATCHED_ROW)).toHaveAttribute('aria-valuenow', '0');

  // Follow the job on its own page, which polls its status every 2 s.
  await row.getByRole('link', { name: WATCHED_ROW, exact: true }).click();
  await expect(page.getByRole('heading', { name: WATCHED, level: 1 })).toBeVisible();
  const progress = progressOf(page, WATCHED);

  const seen: { state: string; percent: number }[] = [];
  await expect
    .poll(
      async () => {
        const state = (await page.title()).split(' ')[0];
        const percent = await valueNow(progress);
        const last = seen.at(-1);
        if (!last || last.state !== state || last.percent !== percent) seen.push({ state, percent });
        return state;
      },
      { timeout: 60_000, intervals: [200] },
    )
    .toBe('Succeeded');

  const states = seen.map((s) => s.state).filter((s, i, all) => s !== all[i - 1]);
  expect(states, JSON.stringify(seen)).toEqual(['Queued', 'Running', 'Succeeded']);
  const running = seen.filter((s) => s.state === 'Running').map((s) => s.percent);
  expect(running.length, JSON.stringify(seen)).toBeGreaterThanOrEqual(2);
  expect(running, 'progress only moves forward').toEqual([...running].sort((a, b) => a - b));
  expect(running.at(-1)!, JSON.stringify(seen)).toBeGreaterThan(running[0]);
  await expect(progress).toHaveAttribute('aria-valuenow', '100');

  // Back on the batch, the row agrees and the whole demo finishes.
  await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: batchName }).click();
  await expect(statusCell(jobRow(page, batchName, WATCHED_ROW))).toContainText('Succeeded');
  await expect(page.getByText('12 of 12', { exact: true })).toBeVisible({ timeout: 60_000 });
  await expect(page.getByRole('progressbar', { name: 'Batch progress' })).toHaveAttribute('aria-valuenow', '100');
});
