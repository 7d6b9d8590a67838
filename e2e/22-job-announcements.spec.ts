/**
 * The job page speaks through the same polite, throttled live region as the batch page: a screen reader user
 * who opened a job hears when it finishes or fails, and when its output expires.
 */
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

  const broken = await api.submitSample(batch.id, 'broken.png', 'jpg');
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
