import { readFile, writeFile } from 'node:fs/promises';
import { expect, test, uniqueName } from './fixtures.ts';
import { expiresCell, jobRow, statusCell } from './job-table.ts';
import { CLOCK_SHIFT_FILE } from './stacks.ts';

// This stack keeps outputs for 10 minutes (OUTPUT_RETENTION_SECONDS, passed on to its bundled service), and its
// servers' clocks can be moved ahead: the spec lets the retention pass at once instead of waiting it out.
test.use({ stack: 'clockShift' });

/** Moves the clocks of the stack's dashboard and bundled service ahead by `ms` (contract/test-clock.ts). */
async function advanceServerClocks(ms: number): Promise<void> {
  const now = Number((await readFile(CLOCK_SHIFT_FILE, 'utf8').catch(() => '0')).trim()) || 0;
  await writeFile(CLOCK_SHIFT_FILE, String(now + ms));
}

test('a countdown reaches “expired”, the download is withdrawn then and explained instead of leading to a raw 410', async ({ page, api }) => {
  const name = uniqueName('Expiry');
  const { batch } = await api.createBatch(name);
  // Not kept: this is what an operator meets without a copy on the dashboard (12-kept-outputs covers the rest).
  await api.setKeepOutputs(batch.id, false);
  const jobId = await api.submitSample(batch.id, 'photo-harbor.png', 'jpg');
  let downloads = 0;
  page.on('download', () => downloads++);

  await page.goto(`/batches/${batch.id}`);
  const row = jobRow(page, name, 'photo-harbor.png → jpg');
  await expect(statusCell(row)).toContainText('Succeeded');
  const countdown = expiresCell(row);
  await expect(countdown).toContainText(/(9|10):\d\d until the output expires/);
  const link = row.getByRole('link', { name: 'Download photo-harbor.jpg', exact: true });
  await expect(link).toBeVisible();

  // Eleven minutes pass on the servers: the page learns the servers' time from the live stream, as it would
  // after a real wait. The countdown runs to the earliest possible deletion: from then on the row no longer
  // offers the link (it would only meet a 410) and says why instead, without anything having asked the upstream.
  await advanceServerClocks(11 * 60_000);
  await expect(countdown).toHaveText('expired');
  await expect(link).toHaveCount(0);
  await expect(row).toContainText(/Output expired (just now|\d+ seconds? ago|\d+ minutes? ago)/);
  await expect(row.getByRole('button', { name: 'Delete photo-harbor.png → jpg', exact: true })).toBeVisible();
  expect(downloads).toBe(0);

  // The job page agrees: the output is marked expired, with the sentence and no link.
  await row.getByRole('link', { name: 'photo-harbor.png → jpg', exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/batches/${batch.id}/jobs/${jobId}$`));
  const actions = page.getByRole('region', { name: 'Actions' });
  await expect(actions).toContainText(/This output expired (just now|\d+ seconds? ago|\d+ minutes? ago) — it can no longer be downloaded\./);
  await expect(page.getByRole('link', { name: 'Download photo-harbor.jpg', exact: true })).toHaveCount(0);

  // What the link would have met once the upstream deleted the output: a 410 with the contract's code. The
  // service's sweep (every second, on its moved clock) has deleted it: its own answer says so (output null).
  const { jobs } = await api.snapshot(batch.id);
  const expiry = jobs.find((j) => j.id === jobId)?.expiry;
  expect(expiry && !('unknown' in expiry) && Number.isFinite(Date.parse(expiry.latest))).toBe(true);
  await expect.poll(async () => (await api.jobStatus(jobId)).body?.output).toBeNull();
  const raw = await page.request.get(`/convert/job/${jobId}/download`);
  expect(raw.status()).toBe(410);
  expect((await raw.json()).error).toBe('jobs.expired');
  expect(downloads).toBe(0);
});
