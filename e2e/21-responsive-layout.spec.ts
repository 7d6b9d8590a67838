/**
 * The pages at the widths operators use (phone, tablet, laptop, wide screen), light and dark: nothing scrolls
 * the page sideways, a row's primary action is on screen, and a laptop shows the header, the filter chips and
 * at least 12 job rows without scrolling the page. Every page is saved as a screenshot per width and theme
 * (test-results/screenshots/layout/) for a designer's look.
 */
import { mkdir } from 'node:fs/promises';
import { request as playwrightRequest, type Locator, type Page } from '@playwright/test';
import type { BatchSnapshot, CreateBatchResponse } from '../contract/dashboard-api.ts';
import { expect, test, uniqueName } from './fixtures.ts';
import { fakeJobId, jobTable } from './job-table.ts';
import { SCREENSHOT_DIR, STACKS } from './stacks.ts';

const SCREENS = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'tablet', width: 768, height: 1024 },
  { name: 'laptop', width: 1280, height: 800 },
  { name: 'wide', width: 1920, height: 1080 },
] as const;
const THEMES = ['light', 'dark'] as const;
const DIR = `${SCREENSHOT_DIR}/layout`;
const ROW_ACTION = /^(Download|Cancel|Delete|Remove|Send again|Convert again|Dismiss) /;

interface LayoutBatch {
  id: string;
  name: string;
  jobId: string;
  jobName: string;
}

/**
 * A 40-job batch as an operator would have one: a demo batch's 12 named files, 12 more real jobs pasted as ids
 * (named by id) and 16 ids the Convert API does not know.
 */
async function makeBatch(): Promise<LayoutBatch> {
  const origin = STACKS.main;
  const ctx = await playwrightRequest.newContext({ baseURL: origin, extraHTTPHeaders: { Origin: origin, 'X-Requested-With': 'e2e' } });
  const demo = async () => {
    const response = await ctx.post('/api/batches/demo');
    expect(response.status()).toBe(201);
    return ((await response.json()) as CreateBatchResponse).batch.id;
  };
  const snapshot = async (id: string) => (await (await ctx.get(`/api/batches/${id}`)).json()) as BatchSnapshot;
  const main = await demo();
  const other = await demo();
  const pasted = (await snapshot(other)).jobs.map((j) => j.id);
  const name = uniqueName('Layout');
  expect((await ctx.patch(`/api/batches/${main}`, { data: { name } })).ok()).toBe(true);
  const ids = [...pasted, ...Array.from({ length: 16 }, () => fakeJobId())].join('\n');
  expect((await ctx.post(`/api/batches/${main}/ids`, { data: { text: ids } })).ok()).toBe(true);
  expect((await ctx.delete(`/api/batches/${other}`)).ok()).toBe(true);
  const jobs = (await snapshot(main)).jobs;
  expect(jobs).toHaveLength(40);
  const photo = jobs.find((j) => j.fileName === 'photo-harbor.png');
  await ctx.dispose();
  return { id: main, name, jobId: photo!.id, jobName: 'photo-harbor.png' };
}

async function noSidewaysScroll(page: Page, what: string): Promise<void> {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollWidth: document.scrollingElement!.scrollWidth,
    innerWidth: window.innerWidth,
  }));
  expect.soft(scrollWidth, `${what}: the page does not scroll sideways`).toBeLessThanOrEqual(innerWidth);
}

async function shoot(page: Page, file: string): Promise<void> {
  await page.screenshot({ path: `${DIR}/${file}.png`, animations: 'disabled', fullPage: true });
}

/** Rows whose whole box is inside the table's scroller and the window. */
async function fullyVisibleRows(page: Page, table: Locator): Promise<number> {
  return table.evaluate((el) => {
    const scroller = el.querySelector('[data-testid="job-table-scroller"]')!.getBoundingClientRect();
    const rows = Array.from(el.querySelectorAll('[role="row"][aria-rowindex]')).filter((r) => r.getAttribute('aria-rowindex') !== '1');
    return rows.filter((r) => {
      const box = r.getBoundingClientRect();
      return box.height > 0 && box.top >= scroller.top - 0.5 && box.bottom <= Math.min(scroller.bottom, window.innerHeight) + 0.5;
    }).length;
  });
}

let batch: Promise<LayoutBatch> | undefined;

test.beforeAll(async () => {
  await mkdir(DIR, { recursive: true });
});

for (const screen of SCREENS) {
  test(`at ${screen.width} px (${screen.name}) every page fits the width and a row's primary action is on screen, light and dark`, async ({ page }) => {
    batch ??= makeBatch();
    const { id, name, jobId, jobName } = await batch;
    await page.setViewportSize({ width: screen.width, height: screen.height });

    for (const theme of THEMES) {
      await page.emulateMedia({ colorScheme: theme });
      const tag = `${screen.width}-${theme}`;

      await page.goto('/');
      await expect(page.getByRole('table', { name: 'Batches' }).getByRole('link', { name })).toBeVisible();
      await noSidewaysScroll(page, `batches at ${tag}`);
      await expect(page.getByRole('button', { name: 'New batch' })).toBeInViewport();
      await shoot(page, `batches-${tag}`);

      await page.goto(`/batches/${id}`);
      const table = jobTable(page, name);
      await expect(table).toHaveAttribute('aria-rowcount', '41');
      await expect(page.getByRole('heading', { level: 1, name })).toBeInViewport();
      await expect(page.getByRole('group', { name: 'Filter by status' })).toBeInViewport();
      const first = table.getByRole('row').nth(1);
      await expect(first).toBeVisible();
      const firstName = (await first.getAttribute('aria-label')) ?? '';
      await expect(first.getByRole('link', { name: firstName, exact: true })).toBeInViewport();
      await expect(first.getByRole('progressbar', { name: `Progress of ${firstName}` })).toBeInViewport();
      await expect(first.getByRole('cell').nth(2)).toBeInViewport();
      await expect.soft(first.getByRole('button', { name: ROW_ACTION }).or(first.getByRole('link', { name: ROW_ACTION })).first()).toBeInViewport({ ratio: 1 });
      await noSidewaysScroll(page, `batch at ${tag}`);
      if (screen.name === 'laptop') {
        // Neither the document nor the app's main area (which scrolls from the tablet width up) has to scroll.
        const pageScroll = await page.evaluate(() => {
          const main = document.querySelector('main')!;
          return Math.max(document.scrollingElement!.scrollHeight - window.innerHeight, main.scrollHeight - main.clientHeight);
        });
        expect.soft(pageScroll, 'the laptop page does not scroll').toBeLessThanOrEqual(0);
        expect.soft(await fullyVisibleRows(page, table), 'rows fully visible at 1280×800').toBeGreaterThanOrEqual(12);
      }
      await shoot(page, `batch-${tag}`);

      await page.goto(`/batches/${id}/jobs/${jobId}`);
      await expect(page.getByRole('heading', { level: 1, name: jobName })).toBeVisible();
      await noSidewaysScroll(page, `job at ${tag}`);
      await shoot(page, `job-${tag}`);

      await page.goto('/no/such/page');
      await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
      await noSidewaysScroll(page, `not found at ${tag}`);
      await shoot(page, `not-found-${tag}`);
    }
  });
}
