/**
 * The job page speaks through the same polite, throttled live region as the batch page: a screen reader user
 * who opened a job hears when it finishes or fails, and when its output expires.
 */
import { request as playwrightRequest } from '@playwright/test';
import { isSubmissionId } from '../contract/dashboard-api.ts';
import { expect, test, uniqueName } from './fixtures.ts';

test.describe.configure({ timeout: 120_000 });

test('the job page announces a job finishing and another one failing', async ({ page, api }) => {
  const { batch } = await api.createBatch(uniqueName('Job news'));
  const announcements = page.getByRole('status', { name: 'Announcements' });

  // This stack's jobs take at least 6 s: the page sees them before they end.
  const clip = await api.submitSample(batch.id, 'clip.mp4', 'gif');
  await page.goto(`/batches/${batch.id}/jobs/${clip}`);
  await expect(page.getByRole('heading', { level: 1, name: 'clip.mp4' })).toBeVisible();
  await expect(announcements).toHaveText(/^clip\.mp4 finished: its output is ready\.\s?$/, { timeout: 60_000 });

  // Text that says it is a PNG: the conversion fails (convert.invalid_input).
  const raw = await playwrightRequest.newContext({ baseURL: api.base, extraHTTPHeaders: { Origin: api.base, 'X-Requested-With': 'e2e' } });
  const sent = await raw.post(`/api/batches/${batch.id}/files?targetFormat=jpg&fileName=broken.png`, {
    multipart: { file: { name: 'broken.png', mimeType: 'image/png', buffer: Buffer.from('not a picture at all') } },
  });
  expect(sent.status()).toBe(202);
  await raw.dispose();
  let broken = '';
  await expect
    .poll(async () => {
      broken = (await api.snapshot(batch.id)).jobs.find((j) => j.fileName === 'broken.png' && !isSubmissionId(j.id))?.id ?? '';
      return broken;
    })
    .not.toBe('');
  await page.goto(`/batches/${batch.id}/jobs/${broken}`);
  await expect(page.getByRole('heading', { level: 1, name: 'broken.png' })).toBeVisible();
  await expect(announcements).toContainText(/broken\.png failed: /, { timeout: 60_000 });
});

test.describe('where outputs expire 12 s after the job ends', () => {
  test.use({ stack: 'shortRetention' });

  test('the job page announces that the output expired', async ({ page, api }) => {
    const { batch } = await api.createBatch(uniqueName('Job expiry news'));
    await api.setKeepOutputs(batch.id, false);
    const photo = await api.submitSample(batch.id, 'photo-harbor.png', 'jpg');
    await page.goto(`/batches/${batch.id}/jobs/${photo}`);
    await expect(page.getByRole('heading', { level: 1, name: 'photo-harbor.png' })).toBeVisible();
    await expect(page.getByRole('status', { name: 'Announcements' })).toContainText('The output of photo-harbor.png expired: it can no longer be downloaded.', {
      timeout: 60_000,
    });
  });
});
