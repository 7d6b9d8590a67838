import { expect, test, uniqueName } from './fixtures.ts';
import { expiresCell, jobRow, statusCell } from './job-table.ts';

// This stack keeps outputs for 12 s (OUTPUT_RETENTION_SECONDS, passed on to its bundled service).
test.use({ stack: 'shortRetention' });

test('a countdown reaches “expired”, and a late download is explained instead of a raw 410', async ({ page, api }) => {
  const name = uniqueName('Expiry');
  const { batch } = await api.createBatch(name);
  const jobId = await api.submitSample(batch.id, 'photo-harbor.png', 'jpg');
  let downloads = 0;
  page.on('download', () => downloads++);

  await page.goto(`/batches/${batch.id}`);
  const row = jobRow(page, name, 'photo-harbor.png');
  await expect(statusCell(row)).toContainText('Succeeded');
  const countdown = expiresCell(row);
  await expect(countdown).toContainText(/0:\d\d until the output expires/);
  await expect(countdown).toHaveText('expired', { timeout: 30_000 });

  // The countdown runs to the earliest possible deletion; wait until the latest one has passed too, so the
  // output is certainly gone upstream before the operator clicks the (still offered) link.
  const { jobs } = await api.snapshot(batch.id);
  const expiry = jobs.find((j) => j.id === jobId)?.expiry;
  expect(expiry && !('unknown' in expiry)).toBe(true);
  const latest = Date.parse(expiry!.latest!);
  await expect.poll(() => Date.now(), { timeout: 30_000, intervals: [250] }).toBeGreaterThan(latest + 500);

  // Nothing has asked the upstream since: the row still offers the link, and clicking it meets the expiry.
  const link = row.getByRole('link', { name: 'Download photo-harbor.jpg', exact: true });
  await link.click();
  await expect(row.getByRole('alert')).toHaveText(/^This output (expired .* ago|has expired) — it can no longer be downloaded\.$/);
  await expect(link).toHaveCount(0);
  await expect(countdown).toHaveText('expired');
  await expect(page).toHaveURL(new RegExp(`/batches/${batch.id}$`));
  expect(downloads).toBe(0);

  // What the link would have met: a 410 with the contract's code.
  expect((await api.jobStatus(jobId)).body?.output).toBeNull();
  const raw = await page.request.get(`/convert/job/${jobId}/download`);
  expect(raw.status()).toBe(410);
  expect((await raw.json()).error).toBe('jobs.expired');
});
