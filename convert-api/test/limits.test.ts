// @vitest-environment node
import { afterEach, describe, expect, it } from 'vitest';
import { KEY_A, KEY_B, ManualClock, getStatus, startApi, stopApi, submit, submitOk, waitFor, waitForHolds, type TestApi } from './helpers.ts';

let api: TestApi;
afterEach(async () => {
  if (api) await stopApi(api);
});

async function statuses(ids: string[], key = KEY_A): Promise<string[]> {
  return Promise.all(ids.map(async (id) => (await getStatus(api, id, key)).json().status as string));
}

describe('queue limits', () => {
  it('runs at most maxRunningPerAccount jobs of one account while the others stay Queued', async () => {
    api = await startApi({ workers: 4, maxRunningPerAccount: 2 });
    const ids = [await submitOk(api, 'hold'), await submitOk(api, 'hold'), await submitOk(api, 'hold')];
    await waitForHolds(api, 2);
    expect(await statuses(ids)).toEqual(['Running', 'Running', 'Queued']);
    // Another account is not held up by the first one's cap.
    const other = await submitOk(api, 'hold', 'b.txt', KEY_B);
    await waitForHolds(api, 3);
    expect((await getStatus(api, other, KEY_B)).json().status).toBe('Running');
    // Canceling a running job frees the account's slot for its queued job.
    await api.app.inject({ method: 'POST', url: `/convert/job/${ids[0]}/cancel`, headers: { 'x-fast-api-key': KEY_A } });
    await waitForHolds(api, 3);
    await waitFor(async () => (await statuses(ids)).join() === 'Canceled,Running,Running');
  });

  it('never runs more jobs than the global worker cap', async () => {
    api = await startApi({ workers: 2 });
    const ids = [await submitOk(api, 'hold'), await submitOk(api, 'hold', 'b.txt', KEY_B), await submitOk(api, 'hold')];
    await waitForHolds(api, 2);
    expect(await statuses(ids.slice(0, 1))).toEqual(['Running']);
    expect(await statuses([ids[2]])).toEqual(['Queued']);
    api.holds.releaseAll();
    await waitForHolds(api, 1);
    expect(await statuses([ids[2]])).toEqual(['Running']);
  });

  it('answers 429 queue.limit_exceeded with Retry-After once the account has maxActive jobs queued or running', async () => {
    api = await startApi({ workers: 1, maxActivePerAccount: 3 });
    const ids = [await submitOk(api, 'hold'), await submitOk(api, 'hold'), await submitOk(api, 'hold')];
    const refused = await submit(api, 'a.txt', 'x');
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ error: 'queue.limit_exceeded', detail: expect.any(String) });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(String(refused.headers['retry-after'])).toMatch(/^\d+$/);
    // The other account has its own limit.
    expect((await submit(api, 'a.txt', 'x', 'out', KEY_B)).statusCode).toBe(202);
    // A canceled job leaves the count at once.
    await api.app.inject({ method: 'POST', url: `/convert/job/${ids[2]}/cancel`, headers: { 'x-fast-api-key': KEY_A } });
    expect((await submit(api, 'a.txt', 'x')).statusCode).toBe(202);
  });

  it('checks every other problem of a submission before the queue limit', async () => {
    api = await startApi({ workers: 1, maxActivePerAccount: 1 });
    await submitOk(api, 'hold');
    expect((await submit(api, 'a.txt', 'x', 'png')).json().error).toBe('convert.unsupported_format_pair');
    expect((await submit(api, 'a.txt', 'x')).json().error).toBe('queue.limit_exceeded');
  });
});

describe('status polling rate limit', () => {
  it('lets a burst through, then answers 429 rate_limited with Retry-After, and refills over time', async () => {
    const clock = new ManualClock();
    api = await startApi({ clock, pollBurst: 3, pollRatePerSecond: 1 });
    const id = await submitOk(api, 'x');
    for (let i = 0; i < 3; i++) expect((await getStatus(api, id)).statusCode).toBe(200);
    const refused = await getStatus(api, id);
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ error: 'rate_limited', detail: expect.any(String) });
    expect(refused.headers['retry-after']).toBe('1');
    // A refused request spends nothing: after one second exactly one more passes.
    clock.advance(400);
    expect((await getStatus(api, id)).statusCode).toBe(429);
    clock.advance(600);
    expect((await getStatus(api, id)).statusCode).toBe(200);
    expect((await getStatus(api, id)).statusCode).toBe(429);
  });

  it('keeps one bucket per key and job, and spends nothing on downloads, cancels or other jobs', async () => {
    const clock = new ManualClock();
    api = await startApi({ clock, pollBurst: 1, pollRatePerSecond: 0.5 });
    const first = await submitOk(api, 'x');
    const second = await submitOk(api, 'x');
    expect((await getStatus(api, first)).statusCode).toBe(200);
    const refused = await getStatus(api, first);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('2');
    expect((await getStatus(api, second)).statusCode).toBe(200);
    const download = await api.app.inject({ method: 'GET', url: `/convert/job/${first}/download`, headers: { 'x-fast-api-key': KEY_A } });
    expect(download.statusCode).not.toBe(429);
  });
});
