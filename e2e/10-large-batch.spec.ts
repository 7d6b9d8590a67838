import { expect, test, uniqueName } from './fixtures.ts';
import { fakeJobId, jobTable } from './job-table.ts';

// The wrong-key stack: its tracker pauses on the 401 instead of polling 10,000 unknown ids, so this test
// loads nothing but the page under test.
test.use({ stack: 'wrongKey' });

const JOBS = 10_000;

test('a 10,000-job batch keeps a bounded number of rows in the DOM and scrolls to later rows', async ({ page, api }) => {
  const name = uniqueName('Ten thousand');
  const ids = Array.from({ length: JOBS }, () => fakeJobId());
  const created = await api.createBatch(name, ids.join('\n'));
  expect(created.ids?.added).toHaveLength(JOBS);

  await page.goto(`/batches/${created.batch.id}`);
  const table = jobTable(page, name);
  await expect(table).toHaveAttribute('aria-rowcount', String(JOBS + 1));
  await expect(page.getByRole('button', { name: `All (${JOBS.toLocaleString('en-US')})` }).or(page.getByRole('button', { name: `All (${JOBS})` }))).toBeVisible();
  const rows = table.getByRole('row');
  await expect(rows.nth(1)).toHaveAttribute('aria-rowindex', '2');
  const rowCount = await rows.count();
  expect(rowCount).toBeGreaterThan(5);
  expect(rowCount).toBeLessThanOrEqual(200);

  const lastIndex = async () => Number(await rows.last().getAttribute('aria-rowindex'));
  // Scroll like an operator with the mouse wheel, a long way down.
  await table.getByRole('row').nth(3).hover();
  for (let i = 0; i < 10; i++) await page.mouse.wheel(0, 40_000);
  await expect.poll(lastIndex).toBeGreaterThan(5_000);
  expect(await rows.count()).toBeLessThanOrEqual(200);
  // The header row stays, and the first data rows are no longer rendered.
  await expect(rows.first()).toHaveAttribute('aria-rowindex', '1');
  await expect(table.locator('[aria-rowindex="2"]')).toHaveCount(0);

  // And to the very end.
  for (let i = 0; i < 20; i++) await page.mouse.wheel(0, 60_000);
  await expect.poll(lastIndex).toBe(JOBS + 1);
  await expect(table.getByRole('row', { name: ids[JOBS - 1], exact: true })).toBeVisible();
  expect(await rows.count()).toBeLessThanOrEqual(200);
});
