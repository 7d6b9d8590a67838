import { readFile } from 'node:fs/promises';
import type { Page } from '@playwright/test';
import { unzip } from '../server/testing/unzip.ts';
import { expect, test, uniqueName } from './fixtures.ts';
import { jobRow } from './job-table.ts';

const SAMPLES = [
  { file: 'photo-harbor.png', to: 'jpg', output: 'photo-harbor.jpg' },
  { file: 'badge.svg', to: 'png', output: 'badge.png' },
  { file: 'photo-forest.jpg', to: 'webp', output: 'photo-forest.webp' },
] as const;

test('"Download selected as ZIP" saves exactly the selected outputs with a manifest of the selection, and the filtered ZIP exactly what the search shows', async ({ page, api }) => {
  test.setTimeout(90_000);
  const name = uniqueName('Selection ZIP');
  const { batch } = await api.createBatch(name);
  const ids: Record<string, string> = {};
  for (const { file, to } of SAMPLES) ids[file] = await api.submitSample(batch.id, file, to);

  await page.goto(`/batches/${batch.id}`);
  await expect(page.getByRole('button', { name: 'Succeeded (3)' })).toBeVisible({ timeout: 45_000 });

  // Two of the three, from the bulk-actions bar.
  const picked = [SAMPLES[0], SAMPLES[2]];
  for (const { file, to } of picked) await jobRow(page, name, `${file} → ${to}`).getByRole('checkbox', { name: `Select ${file} → ${to}` }).check();
  const selection = page.getByRole('region', { name: 'Selection' });
  await expect(selection).toContainText('2 jobs selected');
  const selected = await downloadZip(page, selection.getByRole('link', { name: 'Download selected as ZIP' }));
  expect([...selected.keys()].sort()).toEqual([...picked.map((s) => s.output), 'manifest.csv'].sort());
  const rows = selected.get('manifest.csv')!.toString('utf8').trim().split('\r\n');
  expect(rows[0]).toBe('job_id,source_file,target,status,output_name,size,missing_reason');
  expect(rows.slice(1).sort()).toEqual(
    picked.map((s) => `${ids[s.file]},${s.file},${s.to},Succeeded,${s.output},${selected.get(s.output)!.length},`).sort(),
  );
  // The bytes are the outputs themselves (what the row's own Download link serves).
  for (const { file, output } of picked) {
    const direct = await page.request.get(`/convert/job/${ids[file]}/download`);
    expect(selected.get(output)!.equals(await direct.body()), output).toBe(true);
  }

  // The page's search narrows the table; the filtered ZIP holds what the table shows, nothing else.
  await selection.getByRole('button', { name: 'Clear selection' }).click();
  await page.getByRole('searchbox', { name: 'Search by id or file name' }).fill('badge');
  await expect(jobRow(page, name, 'photo-harbor.png → jpg')).toHaveCount(0);
  const filtered = await downloadZip(page, page.getByRole('link', { name: 'Download filtered as ZIP' }));
  expect([...filtered.keys()].sort()).toEqual(['badge.png', 'manifest.csv']);
  const filteredRows = filtered.get('manifest.csv')!.toString('utf8').trim().split('\r\n');
  expect(filteredRows.slice(1)).toEqual([`${ids['badge.svg']},badge.svg,png,Succeeded,badge.png,${filtered.get('badge.png')!.length},`]);
});

async function downloadZip(page: Page, link: ReturnType<Page['getByRole']>): Promise<Map<string, Buffer>> {
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  expect(download.suggestedFilename()).toMatch(/-outputs\.zip$/);
  return unzip(await readFile(await download.path()));
}
