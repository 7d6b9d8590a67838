import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, test, uniqueName } from './fixtures.ts';
import { jobRow, statusCell } from './job-table.ts';

const SAMPLES = path.resolve(import.meta.dirname, '..', 'samples');

// Jobs last 2 s here and outputs expire 12 s after completion: every new output is "expiring within 10 minutes".
test.use({ stack: 'shortRetention' });

declare global {
  interface Window {
    /** What the page handed to the browser's Notification API (e2e spy, below). */
    notificationsSent?: { title: string; body: string }[];
  }
}

test('opted-in browser notifications say the first failure, the finish and outputs about to expire; the tab shows progress', async ({ page, api }) => {
  await page.context().grantPermissions(['notifications'], { origin: api.base });
  // A spy, not a stand-in: each notification is still shown by the browser; the test reads what was sent.
  await page.addInitScript(() => {
    const Real = window.Notification;
    const sent: { title: string; body: string }[] = [];
    window.notificationsSent = sent;
    class Spy extends Real {
      constructor(title: string, options?: NotificationOptions) {
        super(title, options);
        sent.push({ title, body: options?.body ?? '' });
      }
    }
    Object.defineProperty(Spy, 'permission', { get: () => Real.permission });
    Object.defineProperty(Spy, 'requestPermission', { value: Real.requestPermission.bind(Real) });
    window.Notification = Spy;
  });
  const name = uniqueName('Notify');
  const { batch } = await api.createBatch(name);
  // Outputs that are not kept on the server: they are lost when the Convert API deletes them.
  await api.setKeepOutputs(batch.id, false);
  await page.goto(`/batches/${batch.id}`);

  const toggle = page.getByRole('button', { name: 'Notify me' });
  await toggle.click();
  await expect(page.getByRole('button', { name: 'Notifications on' })).toHaveAttribute('aria-pressed', 'true');

  await page.getByLabel('Files to upload').setInputFiles([
    { name: 'harbor.png', mimeType: 'image/png', buffer: await readFile(path.join(SAMPLES, 'photo-harbor.png')) },
    { name: 'broken.png', mimeType: 'image/png', buffer: Buffer.from('this is not a PNG image at all') },
  ]);
  const panel = page.getByRole('region', { name: 'Uploads' });
  await panel.getByLabel('Target format for png').selectOption('jpg');
  await panel.getByRole('button', { name: 'Send 2 files' }).click();
  await expect(statusCell(jobRow(page, name, 'harbor.png → jpg'))).toContainText(/Succeeded|Expired/, { timeout: 45_000 });

  const titles = () => page.evaluate(() => (window.notificationsSent ?? []).map((n) => n.title));
  await expect.poll(titles, { timeout: 30_000 }).toEqual(
    expect.arrayContaining([`${name}: first failure`, `${name}: batch finished`, `${name}: outputs expiring soon`]),
  );
  const sent = await page.evaluate(() => window.notificationsSent ?? []);
  expect(sent.find((n) => n.title.endsWith('outputs expiring soon'))?.body).toBe('1 output will be deleted within 10 minutes, neither downloaded nor kept.');
  expect(sent.find((n) => n.title.endsWith('first failure'))?.body).toBe('1 job failed.');
  // Each event once.
  expect(new Set(sent.map((n) => n.title)).size).toBe(sent.length);

  // The tab: "✕" and the count in its title, a full progress ring with a red dot as its icon.
  await expect(page).toHaveTitle(new RegExp(`^✕ 2/2 done · ${name}$`));
  const icon = decodeURIComponent((await page.locator('link[rel="icon"]').getAttribute('href')) ?? '');
  expect(icon).toMatch(/^data:image\/svg\+xml,/);
  const ring = /stroke-dasharray="([\d.]+) ([\d.]+)"/.exec(icon);
  expect(Number(ring?.[1])).toBeCloseTo(Number(ring?.[2]), 1);
  expect(icon).toContain('fill="#dc2626"');

  // Leaving the batch gives the page its own icon back.
  await page.getByRole('link', { name: 'Batches', exact: true }).first().click();
  await expect(page.locator('link[rel="icon"]')).not.toHaveAttribute('href', /^data:image\/svg\+xml,/);
});
