/**
 * The batch flow without a mouse: create a batch, add ids, filter, select, download, cancel, delete and open a
 * job with the keyboard alone. After every action focus is somewhere useful, never on <body>.
 */
import { request as playwrightRequest, type Locator, type Page } from '@playwright/test';
import type { CreateBatchResponse } from '../contract/dashboard-api.ts';
import { expect, test, uniqueName } from './fixtures.ts';
import { fakeJobId, jobRow, jobTable, statusCell } from './job-table.ts';

// Tall enough that the job table has room below the charts and panels (its layout is another spec's concern).
test.use({ viewport: { width: 1440, height: 1800 } });
test.describe.configure({ timeout: 240_000 });

/** Presses Tab until `target` has focus (a keyboard user's way there), failing if it never gets it. */
async function tabTo(page: Page, target: Locator, max = 250): Promise<void> {
  await expect(target).toBeVisible();
  for (let presses = 0; presses < max; presses++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`${max} presses of Tab did not reach ${target.toString()}`);
}

const isFocused = (target: Locator) => target.evaluate((el) => el === document.activeElement);

/**
 * Reaches a control of the jobs toolbar as a keyboard user does: Tab into the toolbar (one stop), then the
 * right arrow until the control has focus.
 */
async function toolbarTo(page: Page, target: Locator): Promise<void> {
  await expect(target).toBeVisible();
  const toolbar = page.getByRole('toolbar', { name: 'Jobs toolbar' });
  await tabTo(page, toolbar.locator('[tabindex="0"]'));
  for (let presses = 0; presses < 20; presses++) {
    if (await isFocused(target)) return;
    await page.keyboard.press('ArrowRight');
  }
  throw new Error(`the arrow keys did not reach ${target.toString()} in the jobs toolbar`);
}

async function expectFocusOffBody(page: Page, after: string): Promise<void> {
  await expect
    .poll(() => page.evaluate(() => document.activeElement !== null && document.activeElement !== document.body), { message: `focus after ${after}` })
    .toBe(true);
}

test('a batch can be run from the keyboard alone, and focus never falls to the page body', async ({ page, api }) => {
  // A finished job to paste: made in a scratch batch the way a script would.
  const scratch = await api.createBatch(uniqueName('Keyboard scratch'));
  const photo = await api.submitSample(scratch.batch.id, 'photo-harbor.png', 'jpg');
  await expect.poll(async () => (await api.jobStatus(photo)).body?.status, { timeout: 45_000 }).toBe('Succeeded');
  const gone = fakeJobId();

  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1, name: 'Batches' })).toBeVisible();

  // Create a batch.
  const name = uniqueName('Keyboard');
  await tabTo(page, page.getByRole('button', { name: 'New batch', exact: true }));
  await page.keyboard.press('Enter');
  const create = page.getByRole('dialog', { name: 'Create batch' });
  await expect(create.getByRole('textbox', { name: 'Batch name' })).toBeFocused();
  await page.keyboard.type(name);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
  // A new page: focus on its heading.
  await expect(page.getByRole('heading', { level: 1, name })).toBeFocused();
  const batchId = new URL(page.url()).pathname.split('/').pop()!;

  // Add ids.
  await tabTo(page, page.getByRole('button', { name: 'Add job ids' }));
  await page.keyboard.press('Enter');
  const addIds = page.getByRole('dialog', { name: 'Add job ids' });
  await expect(addIds.getByRole('textbox', { name: 'Job ids to add' })).toBeFocused();
  await page.keyboard.type(`${photo}\n${gone}`);
  await tabTo(page, addIds.getByRole('button', { name: 'Add ids' }));
  await page.keyboard.press('Enter');
  await expect(addIds.getByRole('status', { name: 'Id import result' })).toContainText('2 ids added');
  await expectFocusOffBody(page, 'submitting ids');
  await page.keyboard.press('Escape');
  await expect(addIds).toBeHidden();
  await expect(page.getByRole('button', { name: 'Add job ids' })).toBeFocused();

  const photoRow = jobRow(page, name, 'photo-harbor.png → jpg');
  await expect(statusCell(photoRow)).toContainText('Succeeded', { timeout: 30_000 });

  // Filter: only the succeeded job.
  const filters = page.getByRole('group', { name: 'Filter by status' });
  await toolbarTo(page, filters.getByRole('button', { name: /Succeeded \(1\)/ }));
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/status=Succeeded/);
  await expectFocusOffBody(page, 'filtering');

  // Select it.
  await tabTo(page, photoRow.getByRole('checkbox', { name: 'Select photo-harbor.png → jpg' }));
  await page.keyboard.press('Space');
  await expect(page.getByRole('region', { name: 'Selection' })).toContainText('1 job selected');
  await expectFocusOffBody(page, 'selecting');

  // Download its output.
  await tabTo(page, photoRow.getByRole('link', { name: 'Download photo-harbor.jpg' }));
  const download = page.waitForEvent('download');
  await page.keyboard.press('Enter');
  expect((await download).suggestedFilename()).toBe('photo-harbor.jpg');
  await expectFocusOffBody(page, 'downloading');

  // Cancel a running job. The search box first (a few Tab stops from the row), then the job is sent: it runs
  // for at least 6 s, long enough to reach its Cancel button on a busy machine.
  // The toolbar's one Tab stop is the chip used last.
  await tabTo(page, filters.getByRole('button', { name: /Succeeded \(1\)/ }));
  await page.keyboard.press('Enter');
  await expect(page).not.toHaveURL(/status=/);
  await tabTo(page, page.getByRole('searchbox', { name: 'Search by id or file name' }));
  await page.keyboard.type('clip');
  const clip = await api.submitSample(batchId, 'clip.mp4', 'gif');
  const clipRow = jobRow(page, name, 'clip.mp4 → gif');
  const cancel = clipRow.getByRole('button', { name: 'Cancel clip.mp4 → gif' });
  await tabTo(page, cancel);
  await page.keyboard.press('Enter');
  await expect(statusCell(clipRow)).toContainText('Canceled');
  // Its Cancel button is gone with the state: focus stays in the row.
  await expect(cancel).toHaveCount(0);
  await expectFocusOffBody(page, 'a canceled row lost its Cancel button');
  expect((await api.jobStatus(clip)).body?.status).toBe('Canceled');

  // Delete the selected job: the confirmation opens on Cancel; Tab to the danger button.
  await page.goto(`/batches/${batchId}`);
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
  await tabTo(page, photoRow.getByRole('button', { name: 'Delete photo-harbor.png → jpg' }));
  await page.keyboard.press('Enter');
  const confirm = page.getByRole('dialog', { name: 'Delete photo-harbor.png → jpg?' });
  await expect(confirm.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(confirm.getByRole('button', { name: 'Delete job' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(confirm).toBeHidden();
  await expect(statusCell(photoRow)).toContainText('Gone');
  await expect(photoRow).toContainText('deleted through the dashboard');
  await expectFocusOffBody(page, 'confirming a delete');

  // Open a job.
  await tabTo(page, clipRow.getByRole('link', { name: 'clip.mp4 → gif', exact: true }));
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: 'clip.mp4' })).toBeFocused();
});

/** A demo batch (12 named files) made the way a script would, with its name. */
async function demoBatch(base: string): Promise<{ id: string; name: string }> {
  const ctx = await playwrightRequest.newContext({ baseURL: base, extraHTTPHeaders: { Origin: base, 'X-Requested-With': 'e2e' } });
  const response = await ctx.post('/api/batches/demo');
  expect(response.status()).toBe(201);
  const { id } = ((await response.json()) as CreateBatchResponse).batch;
  const name = uniqueName('Keys');
  expect((await ctx.patch(`/api/batches/${id}`, { data: { name } })).ok()).toBe(true);
  await ctx.dispose();
  return { id, name };
}

test('the jobs toolbar is one Tab stop whose buttons the arrow keys, Home and End move between', async ({ page, api }) => {
  // A batch that no longer changes (its chips come and go with the counts): one finished job, two unknown ids.
  const name = uniqueName('Toolbar');
  const { batch } = await api.createBatch(name, `${fakeJobId()}\n${fakeJobId()}`);
  await api.submitSample(batch.id, 'photo-harbor.png', 'jpg');
  await page.goto(`/batches/${batch.id}`);
  await expect(statusCell(jobRow(page, name, 'photo-harbor.png → jpg'))).toContainText('Succeeded', { timeout: 45_000 });
  const toolbar = page.getByRole('toolbar', { name: 'Jobs toolbar' });
  const all = toolbar.getByRole('button', { name: /^All \(3\)/ });
  await expect(all).toBeVisible();
  await expect(toolbar.getByRole('button', { name: /^Kept \(1\)/ })).toBeVisible();
  const buttons = toolbar.getByRole('button');
  const count = await buttons.count();
  expect(count).toBeGreaterThan(2);
  // Only one of them is in the Tab order.
  await expect(toolbar.locator('[tabindex="0"]')).toHaveCount(1);
  await expect(toolbar.locator('[tabindex="-1"]')).toHaveCount(count - 1);

  await tabTo(page, all);
  await page.keyboard.press('ArrowRight');
  await expect(buttons.nth(1)).toBeFocused();
  await page.keyboard.press('End');
  await expect(buttons.nth(count - 1)).toBeFocused();
  // It wraps around, both ways.
  await page.keyboard.press('ArrowRight');
  await expect(all).toBeFocused();
  await page.keyboard.press('ArrowLeft');
  await expect(buttons.nth(count - 1)).toBeFocused();
  await page.keyboard.press('Home');
  await expect(all).toBeFocused();
  await page.keyboard.press('ArrowRight');
  await expect(buttons.nth(1)).toBeFocused();

  // Tab leaves the toolbar for the search box; Shift+Tab comes back to the button used last.
  await page.keyboard.press('Tab');
  await expect(page.getByRole('searchbox', { name: 'Search by id or file name' })).toBeFocused();
  await page.keyboard.press('Shift+Tab');
  await expect(buttons.nth(1)).toBeFocused();
});

test('the search box keeps every key typed fast on a slow machine and filters the rows by them', async ({ page, api }) => {
  const { id, name } = await demoBatch(api.base);
  await page.goto(`/batches/${id}`);
  const table = jobTable(page, name);
  await expect(table).toHaveAttribute('aria-rowcount', '13');
  // A busy machine: the page's scripts run six times slower.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 6 });
  const search = page.getByRole('searchbox', { name: 'Search by id or file name' });
  await search.focus();
  await search.pressSequentially('photo-forest', { delay: 0 });
  await expect(search).toHaveValue('photo-forest');
  await expect(table).toHaveAttribute('aria-rowcount', '3');
  await expect(jobRow(page, name, 'photo-forest.jpg → webp')).toBeVisible();
  await expect(jobRow(page, name, 'photo-forest.jpg → avif')).toBeVisible();
  // The address follows once typing stops, so a reload or a shared link keeps the filter.
  await expect(page).toHaveURL(/[?&]q=photo-forest(&|$)/);
  await page.keyboard.press('Backspace');
  await page.keyboard.press('Backspace');
  await expect(search).toHaveValue('photo-fore');
  await expect(page).toHaveURL(/[?&]q=photo-fore(&|$)/);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
  await page.reload();
  await expect(search).toHaveValue('photo-fore');
  await expect(table).toHaveAttribute('aria-rowcount', '3');
});
