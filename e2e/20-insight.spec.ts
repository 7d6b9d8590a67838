import { mkdir, readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { request as playwrightRequest } from '@playwright/test';
import type { SubmitFileResponse } from '../contract/dashboard-api.ts';
import type { ExportRow } from '../contract/insight-api.ts';
import { expect, test, uniqueName } from './fixtures.ts';
import { SCREENSHOT_DIR, STACKS, WEBHOOK_RECEIVER } from './stacks.ts';

// Jobs last 2 s here, and this dashboard sends its batch events to WEBHOOK_RECEIVER.
test.use({ stack: 'shortRetention' });

interface Received {
  text: string;
  event: { kind: string; batchId: string; url?: string };
}

/** A local incoming-webhook receiver, as Slack or Mattermost would be. */
async function startReceiver(): Promise<{ messages: Received[]; close: () => Promise<void> }> {
  const messages: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      messages.push(JSON.parse(body) as Received);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(Number(new URL(WEBHOOK_RECEIVER).port), '127.0.0.1', resolve));
  return { messages, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

test('a finished batch shows its charts in both themes, groups its failure, exports its jobs and notifies the webhook', async ({ page, api }) => {
  const receiver = await startReceiver();
  try {
    const name = uniqueName('Insight');
    const { batch } = await api.createBatch(name);
    await api.submitSample(batch.id, 'photo-harbor.png', 'jpg');
    await api.submitSample(batch.id, 'photo-forest.jpg', 'png');
    // Text that calls itself a PNG: the conversion fails.
    const ctx = await playwrightRequest.newContext({ baseURL: STACKS.shortRetention, extraHTTPHeaders: { Origin: STACKS.shortRetention, 'X-Requested-With': 'e2e' } });
    const broken = await ctx.post(`/api/batches/${batch.id}/files?targetFormat=jpg&fileName=broken.png`, {
      multipart: { file: { name: 'broken.png', mimeType: 'image/png', buffer: Buffer.from('this is not a picture\n'.repeat(20)) } },
    });
    expect(broken.status()).toBe(202);
    // The answer names the spooled file; once the upstream accepted it, its job takes that row.
    const brokenSubmission = ((await broken.json()) as SubmitFileResponse).job.id;

    await page.goto(`/batches/${batch.id}`);
    await expect(page.getByRole('status', { name: 'Estimated completion' })).toHaveText('All jobs have finished', { timeout: 45_000 });
    const brokenId = (await api.snapshot(batch.id)).jobs.find((job) => job.submission?.id === brokenSubmission)?.id;
    expect(brokenId).toMatch(/^[0-9a-f]{32}$/);
    // Below 1536 px the charts and failures start folded, so the rows come first.
    await page.getByRole('button', { name: 'Charts and failures', expanded: false }).click();

    // The failure is a group with its plain sentence, and its row says the sentence too.
    const failures = page.getByRole('region', { name: 'Failures by cause' });
    await expect(failures.getByRole('listitem', { name: /^1 job failed: / })).toBeVisible();
    await expect(failures.getByRole('button', { name: 'Copy ids' })).toBeVisible();

    // Both charts draw, each with its text summary.
    const states = page.getByRole('img', { name: 'Chart: jobs by state over time' });
    await expect(states.locator('canvas')).toBeVisible();
    await expect(page.getByRole('img', { name: 'Chart: completions per minute' }).locator('canvas')).toBeVisible();
    await expect(page.getByText(/now 2 succeeded, 1 failed/)).toBeVisible();
    await expect(page).toHaveTitle(/^✕ 3\/3 done/);

    await mkdir(SCREENSHOT_DIR, { recursive: true });
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      // The charts are redrawn for the theme: wait for the new canvas before the picture.
      await expect(states.locator('canvas')).toBeVisible();
      await page.screenshot({ path: `${SCREENSHOT_DIR}/batch-insight-${colorScheme}.png`, animations: 'disabled' });
    }
    await page.emulateMedia({ colorScheme: 'light' });

    // Export: everything as CSV through the button, the failed ones as JSON through the same filter as the page.
    const downloadPromise = page.waitForEvent('download');
    await page.getByRole('group', { name: 'Export' }).getByRole('link', { name: 'Export CSV' }).click();
    const download = await downloadPromise;
    const csv = await readFile(await download.path(), 'utf8');
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toMatch(/^id,file,target,state,percent,phase,errorCode,errorDetail,/);
    expect(lines).toHaveLength(4);
    expect(lines.find((l) => l.startsWith(brokenId!))).toMatch(/,broken\.png,jpg,Failed,100,/);
    expect(path.extname(download.suggestedFilename())).toBe('.csv');
    // The same jobs as JSON, one object per job with every column.
    const jsonPromise = page.waitForEvent('download');
    await page.getByRole('group', { name: 'Export' }).getByRole('link', { name: 'Export JSON' }).click();
    const jsonDownload = await jsonPromise;
    expect(path.extname(jsonDownload.suggestedFilename())).toBe('.json');
    const all = JSON.parse(await readFile(await jsonDownload.path(), 'utf8')) as ExportRow[];
    expect(all.map((r) => r.state).sort()).toEqual(['Failed', 'Succeeded', 'Succeeded']);
    expect(Object.keys(all[0])).toEqual(lines[0].split(','));
    expect(all.find((r) => r.id === brokenId)).toMatchObject({ file: 'broken.png', target: 'jpg', errorCode: 'convert.invalid_input' });
    expect(all.filter((r) => r.state === 'Succeeded').every((r) => r.outputBytes > 0 && r.runMs !== null && r.expiresEarliest !== null)).toBe(true);

    const failedOnly = await ctx.get(`/api/batches/${batch.id}/export.json?status=Failed`);
    const rows = (await failedOnly.json()) as ExportRow[];
    expect(rows.map((r) => r.id)).toEqual([brokenId]);
    expect(rows[0].errorCode).toMatch(/^convert\./);
    await ctx.dispose();

    // The server told the webhook, with a link to the batch.
    await expect.poll(() => receiver.messages.filter((m) => m.event.batchId === batch.id).map((m) => m.event.kind)).toContain('batch_finished');
    const finished = receiver.messages.find((m) => m.event.batchId === batch.id && m.event.kind === 'batch_finished')!;
    expect(finished.text).toContain(`Batch "${name}" finished: 2 succeeded, 1 failed, 0 canceled of 3.`);
    expect(finished.event.url).toBe(`${STACKS.shortRetention}/batches/${batch.id}`);
  } finally {
    await receiver.close();
  }
});
