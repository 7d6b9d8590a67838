import { readFile } from 'node:fs/promises';
import { unzip } from '../server/testing/unzip.ts';
import { expect, test, uniqueName } from './fixtures.ts';
import { jobRow, jobTable, statusCell } from './job-table.ts';

// Outputs expire 12 s after completion on this stack (OUTPUT_RETENTION_SECONDS): the dashboard's kept copies
// are what remains after that.
test.use({ stack: 'shortRetention' });

const JOBS = [
  { sample: 'photo-harbor.png', target: 'jpg', output: 'photo-harbor.jpg' },
  { sample: 'photo-forest.jpg', target: 'png', output: 'photo-forest.png' },
  { sample: 'badge.svg', target: 'png', output: 'badge.png' },
] as const;

test('after the upstream deleted the outputs, Download saves the kept bytes, Download all saves them as one ZIP with its manifest, and chips and counts agree with the rows', async ({ page, api }) => {
  test.setTimeout(120_000);
  const name = uniqueName('Kept');
  const { batch } = await api.createBatch(name);
  const ids: string[] = [];
  for (const job of JOBS) ids.push(await api.submitSample(batch.id, job.sample, job.target));

  // Each output is kept as soon as its job is seen Succeeded; the bytes the upstream served are the reference.
  const original = new Map<string, Buffer>();
  await expect.poll(async () => (await api.snapshot(batch.id)).jobs.filter((j) => j.kept !== null).length, { timeout: 60_000 }).toBe(3);
  await page.goto(`/batches/${batch.id}`);
  for (const [i, job] of JOBS.entries()) {
    await expect(jobRow(page, name, `${job.sample} → ${job.target}`)).toContainText('Kept until');
    const response = await page.request.get(`/convert/job/${ids[i]}/download`);
    if (response.ok()) original.set(job.output, await response.body());
  }

  // The upstream deletes them: every row reads Expired, the header still counts them ready (kept), and chips agree.
  await expect(page.getByRole('button', { name: 'Expired (3)' })).toBeVisible({ timeout: 30_000 });
  await expect.poll(async () => (await api.jobStatus(ids[0])).body?.output ?? null, { timeout: 30_000 }).toBeNull();
  for (const job of JOBS) await expect(statusCell(jobRow(page, name, `${job.sample} → ${job.target}`))).toContainText('Expired');
  await expect(page.getByText('3 of 3 outputs ready')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Kept (3)' })).toBeVisible();
  await expect(page.getByRole('button', { name: /^Succeeded/ })).toHaveCount(0);
  await page.getByRole('button', { name: 'Expired (3)' }).click();
  await expect(jobTable(page, name).getByRole('row')).toHaveCount(4);

  // Download from a row: the proxy meets the upstream's 410 and serves the kept copy, byte for byte.
  const first = JOBS[0];
  const row = jobRow(page, name, `${first.sample} → ${first.target}`);
  const [download] = await Promise.all([page.waitForEvent('download'), row.getByRole('link', { name: `Download ${first.output}`, exact: true }).click()]);
  expect(download.suggestedFilename()).toBe(first.output);
  const saved = await readFile(await download.path());
  if (original.has(first.output)) expect(saved.equals(original.get(first.output)!)).toBe(true);
  expect([...saved.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
  await expect.poll(async () => (await api.snapshot(batch.id)).jobs.find((j) => j.id === ids[0])?.downloadedAt ?? null).not.toBeNull();

  // Download all: one ZIP with every kept output and a manifest.csv that lists the batch.
  await page.getByRole('button', { name: 'Expired (3)' }).click();
  const [zipDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download all as ZIP' }).click()]);
  const entries = await unzip(await readFile(await zipDownload.path()));
  expect([...entries.keys()].sort()).toEqual([...JOBS.map((j) => j.output), 'manifest.csv'].sort());
  for (const [output, bytes] of original) expect(entries.get(output)!.equals(bytes)).toBe(true);
  const manifest = entries.get('manifest.csv')!.toString('utf8').trim().split('\r\n');
  expect(manifest[0]).toBe('job_id,source_file,target,status,output_name,size,missing_reason');
  expect(manifest.slice(1).sort()).toEqual(
    JOBS.map((job, i) => `${ids[i]},${job.sample},${job.target},Expired,${job.output},${entries.get(job.output)!.length},`).sort(),
  );
});

test('an output the dashboard did not keep is counted lost and expired, not ready, and is listed as missing in the ZIP', async ({ page, api }) => {
  test.setTimeout(90_000);
  const name = uniqueName('Not kept');
  const { batch } = await api.createBatch(name);
  await api.setKeepOutputs(batch.id, false);
  const id = await api.submitSample(batch.id, 'photo-harbor.png', 'jpg');
  await page.goto(`/batches/${batch.id}`);
  const row = jobRow(page, name, 'photo-harbor.png → jpg');
  await expect(row).toContainText('Not downloaded yet', { timeout: 45_000 });
  await expect(page.getByRole('button', { name: 'Not downloaded yet (1)' })).toBeVisible();

  // The countdown ends: at that moment the row, the header and the chips all change together.
  await expect(statusCell(row)).toContainText('Expired', { timeout: 30_000 });
  await expect(row).toContainText('Lost: expired before it was kept');
  await expect(page.getByText('0 of 1 output ready')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Lost (1)' })).toBeVisible();
  await expect(page.getByRole('button', { name: /^Not downloaded yet/ })).toHaveCount(0);

  // The countdown ends at the earliest possible deletion; once the upstream has really deleted it, the ZIP says so.
  await expect.poll(async () => (await api.jobStatus(id)).body?.output ?? null, { timeout: 30_000 }).toBeNull();
  const [zipDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download all as ZIP' }).click()]);
  const entries = await unzip(await readFile(await zipDownload.path()));
  expect([...entries.keys()]).toEqual(['manifest.csv']);
  expect(entries.get('manifest.csv')!.toString('utf8')).toContain(`${id},photo-harbor.png,jpg,Expired,,,expired: deleted by the Convert API before it was kept`);
});
