import type { Page } from '@playwright/test';
import { expect, test, uniqueName } from './fixtures.ts';
import { fakeJobId, jobRow, jobTable, statusCell } from './job-table.ts';

const JOBS = 10_000;

/** Bytes the page received per URL path and query, as the network saw them (compressed), through CDP. */
async function countBytes(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  const urls = new Map<string, string>();
  const bytes = new Map<string, number>();
  cdp.on('Network.requestWillBeSent', (e) => {
    const url = new URL(e.request.url);
    urls.set(e.requestId, url.pathname + url.search);
  });
  cdp.on('Network.dataReceived', (e) => {
    const url = urls.get(e.requestId);
    if (url) bytes.set(url, (bytes.get(url) ?? 0) + e.encodedDataLength);
  });
  return {
    urls: () => [...urls.values()],
    total: (match: (url: string) => boolean) => [...bytes].filter(([url]) => match(url)).reduce((sum, [, n]) => sum + n, 0),
  };
}

test('a 10,000-job batch shows its jobs changing while open without loading the batch again', async ({ page, api }) => {
  const name = uniqueName('Live ten thousand');
  // Ids nobody created: the upstream answers 404 to each, and the tracker records them Gone one by one.
  const ids = Array.from({ length: JOBS }, () => fakeJobId());
  const created = await api.createBatch(name, ids.join('\n'));
  const batchPath = `/api/batches/${created.batch.id}`;
  try {
    const network = await countBytes(page);
    await page.goto(`/batches/${created.batch.id}`);
    await expect(jobTable(page, name)).toHaveAttribute('aria-rowcount', String(JOBS + 1));

    // The rows on screen are polled first, and each change arrives over the page's event stream.
    for (const id of ids.slice(0, 5)) await expect(statusCell(jobRow(page, name, id))).toContainText('Gone');
    await expect(page.getByRole('button', { name: /^Gone \(\d+\)$/ })).toBeVisible();

    // The batch snapshot itself (not its event stream, view reports, or the insight panel's own small query).
    const loads = network.urls().filter((url) => url === batchPath || url.startsWith(`${batchPath}?`));
    // One compact first load, and no snapshot fetched again while the jobs changed.
    expect(loads).toEqual([`${batchPath}?rows=ndjson`]);
    const firstLoad = network.total((url) => url === `${batchPath}?rows=ndjson`);
    const pushed = network.total((url) => url.startsWith(`${batchPath}/events`));
    expect(pushed).toBeGreaterThan(0);
    expect(pushed).toBeLessThan(firstLoad / 10);
  } finally {
    // 10,000 ids would keep this stack's tracker busy for the specs after this one.
    await page.request.delete(batchPath, { headers: { Origin: api.base, 'X-Requested-With': 'e2e' } });
  }
});

test('a job page open in three tabs polls nothing upstream itself, shares one event stream, and shows the job finishing', async ({ page, api, context }) => {
  const name = uniqueName('Three tabs');
  const { batch } = await api.createBatch(name);
  const jobId = await api.submitSample(batch.id, 'clip.mp4', 'webm');
  const pages = [page, await context.newPage(), await context.newPage()];
  const statusRequests: string[] = [];
  const streamingTabs = new Set<number>();
  pages.forEach((tab, index) => {
    tab.on('request', (request) => {
      const { pathname } = new URL(request.url());
      if (pathname.startsWith('/convert/job/')) statusRequests.push(request.url());
      if (pathname === `/api/batches/${batch.id}/events`) streamingTabs.add(index);
    });
  });
  await Promise.all(pages.map((tab) => tab.goto(`/batches/${batch.id}/jobs/${jobId}`)));
  for (const tab of pages) await expect(tab.getByRole('heading', { name: 'clip.mp4', exact: true })).toBeVisible();
  // The page title leads with the job's state.
  for (const tab of pages) await expect(tab).toHaveTitle(/^Succeeded · clip\.mp4/, { timeout: 60_000 });
  // Every tab read the server's record through its batch's event stream; only the tracker asked the upstream.
  expect(statusRequests).toEqual([]);
  // One stream for the three tabs: one tab opened it and relays its events to the others.
  expect(streamingTabs.size).toBe(1);
});
