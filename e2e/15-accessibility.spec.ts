/**
 * axe-core (WCAG 2.0/2.1/2.2 A and AA plus best practices) over every page and dialog, in the light and the dark
 * theme, in the states an operator meets: empty, loading, error, stale, a running batch with a selection, a
 * finished one with a failed and a gone job, the job pages, and the not-found pages. Zero violations.
 */
import AxeBuilder from '@axe-core/playwright';
import { request as playwrightRequest, type Page } from '@playwright/test';
import { expect, test, uniqueName } from './fixtures.ts';
import { fakeJobId, jobRow, jobTable, statusCell } from './job-table.ts';

const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

/** Runs axe over the page as it is now; a failure lists each rule with the elements that break it. */
async function expectNoViolations(page: Page, state: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).withTags(TAGS).analyze();
  const found = violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => `${n.target.join(' ')} ${n.failureSummary?.replace(/\s+/g, ' ') ?? ''}`).join('\n    ')}`);
  expect(found, `axe violations in ${state}`).toEqual([]);
}

const UPSTREAM_OK = { state: 'ok', error: null, since: null };

// Tall enough that the job table has room below the charts and panels (its layout is another spec's concern).
test.use({ viewport: { width: 1440, height: 1800 } });
// An axe run takes seconds, more on a busy machine; a test runs a dozen.
test.describe.configure({ timeout: 360_000 });

for (const colorScheme of ['light', 'dark'] as const) {
  test.describe(`in the ${colorScheme} theme`, () => {
    test.beforeEach(async ({ page }) => {
      await page.emulateMedia({ colorScheme });
    });

    test('the batches page has no violations empty, loading, failing, listed, and with its dialogs open', async ({ page, api }) => {
      await page.route('**/api/batches', (route) =>
        route.request().method() === 'GET'
          ? route.fulfill({ json: { batches: [], upstream: UPSTREAM_OK, serverTime: new Date().toISOString() } })
          : route.fallback(),
      );
      await page.goto('/');
      await expect(page.getByRole('heading', { name: 'No batches yet' })).toBeVisible();
      await expectNoViolations(page, 'the empty batches page');

      await page.unroute('**/api/batches');
      // Held until checked: the page stays loading.
      let release = () => {};
      const held = new Promise<void>((resolve) => (release = resolve));
      await page.route('**/api/batches', async (route) => {
        await held;
        // The reload below may have dropped the request already.
        await route.fulfill({ status: 503, json: { error: 'storage.unavailable', detail: null } }).catch(() => {});
      });
      await page.reload();
      await expect(page.getByText('Loading batches…')).toBeVisible();
      await expectNoViolations(page, 'the loading batches page');
      release();

      await page.unroute('**/api/batches');
      await page.route('**/api/batches', (route) =>
        route.fulfill({ status: 503, json: { error: 'storage.unavailable', detail: 'The database file was removed.' } }),
      );
      await page.reload();
      await expect(page.getByRole('alert', { name: 'The batches could not be loaded' })).toBeVisible();
      await expectNoViolations(page, 'the batches page that could not load');
      await page.unroute('**/api/batches');

      const name = uniqueName('A11y list');
      await api.createBatch(name, fakeJobId());
      await page.reload();
      const list = page.getByRole('table', { name: 'Batches' });
      await expect(list.getByRole('link', { name })).toBeVisible();
      await expectNoViolations(page, 'the batches list');

      await page.getByRole('button', { name: 'New batch', exact: true }).click();
      await expect(page.getByRole('dialog', { name: 'Create batch' })).toBeVisible();
      await expectNoViolations(page, 'the create batch dialog');
      await page.keyboard.press('Escape');

      await list.getByRole('button', { name: `Delete ${name}` }).click();
      const confirm = page.getByRole('dialog', { name: `Delete batch ${name}?` });
      await expect(confirm).toBeVisible();
      await expectNoViolations(page, 'the delete batch confirmation');
      await confirm.getByRole('button', { name: 'Delete batch' }).click();
      await expect(list.getByRole('link', { name })).toHaveCount(0);
    });

    test('the batch and job pages have no violations running, selected, stale, finished with a failure, and not found', async ({ page, api, context }) => {
      const name = uniqueName('A11y batch');
      const gone = fakeJobId();
      const { batch } = await api.createBatch(name, gone);
      await api.submitSample(batch.id, 'photo-harbor.png', 'jpg');
      await api.submitSample(batch.id, 'badge.svg', 'png');
      // Text that says it is a PNG: the conversion fails (convert.invalid_input).
      const raw = await playwrightRequest.newContext({ baseURL: api.base, extraHTTPHeaders: { Origin: api.base, 'X-Requested-With': 'e2e' } });
      const failed = await raw.post(`/api/batches/${batch.id}/files?targetFormat=jpg&fileName=broken.png`, {
        multipart: { file: { name: 'broken.png', mimeType: 'image/png', buffer: Buffer.from('not a picture at all') } },
      });
      expect(failed.status()).toBe(202);
      await raw.dispose();

      await page.goto(`/batches/${batch.id}`);
      await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
      // Sent with the page open, so it is queued or running (at least 6 s) when checked.
      await api.submitSample(batch.id, 'clip.mp4', 'webm');
      const filters = page.getByRole('group', { name: 'Filter by status' });
      await expect(filters.getByRole('button', { name: /^(▶|◷)?\s*(Running|Queued) \(\d+\)$/ }).first()).toBeVisible();
      await expectNoViolations(page, 'a running batch');

      const photo = jobRow(page, name, 'photo-harbor.png → jpg');
      await photo.getByRole('checkbox').check();
      await expect(page.getByRole('region', { name: 'Selection' })).toBeVisible();
      await expectNoViolations(page, 'a running batch with a selection');
      await page.getByRole('region', { name: 'Selection' }).getByRole('button', { name: 'Delete selected' }).click();
      await expect(page.getByRole('dialog', { name: 'Delete 1 job?' })).toBeVisible();
      await expectNoViolations(page, 'the bulk delete confirmation');
      await page.keyboard.press('Escape');
      await page.getByRole('region', { name: 'Selection' }).getByRole('button', { name: 'Clear selection' }).click();

      await page.getByRole('button', { name: 'Add job ids' }).click();
      const addIds = page.getByRole('dialog', { name: 'Add job ids' });
      await addIds.getByRole('textbox', { name: 'Job ids to add' }).fill(`${fakeJobId()}\nnot-an-id`);
      await addIds.getByRole('button', { name: 'Add ids' }).click();
      await expect(addIds.getByRole('status', { name: 'Id import result' })).toContainText('1 id added');
      await expectNoViolations(page, 'the add ids dialog with its result');
      await page.keyboard.press('Escape');

      await page.getByRole('searchbox', { name: 'Search by id or file name' }).fill('no such file');
      await expect(page.getByText('No job matches the filter.')).toBeVisible();
      await expectNoViolations(page, 'a filter that matches nothing');
      await page.getByRole('searchbox', { name: 'Search by id or file name' }).fill('');

      // The dashboard server out of reach: counts and bars are marked stale.
      await context.setOffline(true);
      await expect(page.getByTestId('stale-note')).toBeVisible();
      await expectNoViolations(page, 'a batch whose data is stale');
      await context.setOffline(false);
      await expect(page.getByTestId('stale-note')).toHaveCount(0);

      await expect(statusCell(photo)).toContainText('Succeeded', { timeout: 45_000 });
      await expect(statusCell(jobRow(page, name, 'broken.png → jpg'))).toContainText('Failed', { timeout: 45_000 });
      await expect(statusCell(jobRow(page, name, 'badge.svg → png'))).toContainText('Succeeded', { timeout: 45_000 });
      await expect(jobTable(page, name).getByRole('row', { name: gone })).toContainText('Gone');
      await expectNoViolations(page, 'a finished batch with a failed and a gone job');

      await photo.getByRole('link', { name: 'photo-harbor.png → jpg', exact: true }).click();
      await expect(page.getByRole('heading', { level: 1, name: 'photo-harbor.png' })).toBeVisible();
      await expectNoViolations(page, 'a succeeded job');
      await page.goBack();
      await jobRow(page, name, 'broken.png → jpg').getByRole('link', { name: 'broken.png → jpg', exact: true }).click();
      await expect(page.getByRole('heading', { level: 1, name: 'broken.png' })).toBeVisible();
      await expect(page.getByRole('term').filter({ hasText: 'Error' })).toBeVisible();
      await expectNoViolations(page, 'a failed job');

      await page.goto('/batches/no-such-batch');
      await expect(page.getByRole('heading', { level: 1, name: 'Batch not found' })).toBeVisible();
      await expectNoViolations(page, 'a batch that does not exist');
      await page.goto('/jobs/not-a-job-id');
      await expect(page.getByRole('heading', { level: 1, name: 'Not a job id' })).toBeVisible();
      await expectNoViolations(page, 'a job address that is not an id');
      await page.goto('/no/such/page');
      await expect(page.getByRole('heading', { level: 1, name: 'Page not found' })).toBeVisible();
      await expectNoViolations(page, 'an unknown address');
    });
  });
}

test.describe('with an API key the Convert API refuses', () => {
  test.use({ stack: 'wrongKey' });

  test('the batch page has no violations in either theme', async ({ page, api }) => {
    const name = uniqueName('A11y wrong key');
    const { batch } = await api.createBatch(name, fakeJobId());
    await page.goto(`/batches/${batch.id}`);
    await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
    await expect(page.getByTestId('freshness')).toContainText('Not updating');
    for (const colorScheme of ['light', 'dark'] as const) {
      // Switched on an open page: the buttons' colour transitions would let axe read a colour halfway between
      // the themes (it once read dark-theme ghost buttons in their light colour). Asking for reduced motion makes
      // the page switch at once; the wait proves no transition is still running.
      await page.emulateMedia({ colorScheme, reducedMotion: 'reduce' });
      await expect.poll(() => page.evaluate(() => document.getAnimations().filter((a) => a instanceof CSSTransition).length)).toBe(0);
      await expectNoViolations(page, `a batch with a refused key (${colorScheme})`);
    }
  });
});
