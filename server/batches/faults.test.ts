// @vitest-environment node
/** Issue 13's fault tests of the batch routes (the `fault N:` groups); `vitest run -t '^fault'` runs them all. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AddIdsResponse, BatchListResponse, CreateBatchResponse, SubmitFileResponse } from '../../contract/dashboard-api.ts';
import { answers } from '../testing/fake-upstream.ts';
import { jobId } from '../tracker/test-fixtures.ts';
import { json, startServiceHarness, type ServiceHarness } from './test-harness.ts';
import { cleanName } from './validate.ts';

let h: ServiceHarness;
afterEach(async () => {
  await h?.close();
});

const RLO = '\u202E';

describe('fault 10: names cannot hide or reorder text with bidirectional or zero-width characters', () => {
  it('strips every bidirectional embedding, override, isolate and zero-width character, and nothing else', () => {
    for (const c of ['\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069', '\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF']) {
      expect(cleanName(`invoice${c}gpj.exe`)).toBe('invoicegpj.exe');
    }
    const kept = 'Café crème – 東京 出張 📦 résumé (1).pdf ÅÄÖ';
    expect(cleanName(kept)).toBe(kept);
    // A joiner inside an emoji sequence is part of the emoji.
    expect(cleanName('team 👩‍💻 and 👨🏽‍🚀')).toBe('team 👩‍💻 and 👨🏽‍🚀');
  });

  it('stores batch names without them, on create and on rename, and refuses a name made of nothing else', async () => {
    h = await startServiceHarness();
    const created = await h.app.inject({ method: 'POST', url: '/api/batches', headers: json, payload: { name: `Night ${RLO}nur\u200B` } });
    expect(created.statusCode).toBe(201);
    const { batch } = created.json<CreateBatchResponse>();
    expect(batch.name).toBe('Night nur');
    const renamed = await h.app.inject({ method: 'PATCH', url: `/api/batches/${batch.id}`, headers: json, payload: { name: `\u2066Ünïcode 東京 📦\u2069` } });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json()).toMatchObject({ name: 'Ünïcode 東京 📦' });
    const empty = await h.app.inject({ method: 'POST', url: '/api/batches', headers: json, payload: { name: '\u200B\u202E' } });
    expect(empty.statusCode).toBe(400);
    expect(empty.json()).toMatchObject({ error: 'request.invalid_body' });
  });

  it('stores the file name of an upload without them', async () => {
    h = await startServiceHarness();
    h.fake.handle(answers.json(202, { id: jobId(5), status: 'Queued', creditCost: 1 }));
    const { batch } = (
      await h.app.inject({ method: 'POST', url: '/api/batches', headers: json, payload: { name: 'Uploads' } })
    ).json<CreateBatchResponse>();
    const form = new FormData();
    form.append('file', new Blob(['PNGDATA']), 'x.png');
    const request = new Request('http://x/', { method: 'POST', body: form });
    const res = await h.app.inject({
      method: 'POST',
      url: `/api/batches/${batch.id}/files?targetFormat=jpg&fileName=${encodeURIComponent(`photo${RLO}gnp.exe`)}`,
      headers: { 'content-type': request.headers.get('content-type')! },
      payload: Buffer.from(await request.arrayBuffer()),
    });
    expect(res.statusCode).toBe(202);
    expect(res.json<SubmitFileResponse>().job.fileName).toBe('photognp.exe');
  });
});

/** `count` distinct ids, one per line (33 bytes each, as a big paste from a log). */
function paste(count: number, from = 0): string {
  const lines: string[] = [];
  for (let i = from; i < from + count; i++) lines.push(jobId(i));
  return lines.join('\n');
}

async function batchIds(): Promise<string[]> {
  return (await h.app.inject({ method: 'GET', url: '/api/batches' })).json<BatchListResponse>().batches.map((b) => b.id);
}

describe('fault 4: a big paste does not block the server, and jobs are capped', () => {
  it('answers other requests while a big paste is being imported', async () => {
    h = await startServiceHarness();
    const { batch } = (await h.app.inject({ method: 'POST', url: '/api/batches', headers: json, payload: { name: 'Big' } })).json<CreateBatchResponse>();
    let pasteDone = false;
    const pasting = h.app
      .inject({ method: 'POST', url: `/api/batches/${batch.id}/ids`, headers: json, payload: JSON.stringify({ text: paste(60_000) }) })
      .then((res) => {
        pasteDone = true;
        return res;
      });
    // Seen from a timer: the import is under way (one open transaction), and it yields to other work.
    await vi.waitFor(() => expect(h.service.store.db.inTransaction).toBe(true), { timeout: 30_000, interval: 5 });
    const list = await h.app.inject({ method: 'GET', url: '/api/batches' });
    expect(list.statusCode).toBe(200);
    expect(pasteDone).toBe(false);
    const res = await pasting;
    expect(res.statusCode).toBe(200);
    expect(res.json<AddIdsResponse>().added).toHaveLength(60_000);
  }, 60_000);

  it('accepts the body of a 150,000-id paste and answers 413 when it is over MAX_JOBS_PER_BATCH, adding nothing', async () => {
    h = await startServiceHarness();
    const { batch } = (await h.app.inject({ method: 'POST', url: '/api/batches', headers: json, payload: { name: 'Big' } })).json<CreateBatchResponse>();
    const res = await h.app.inject({ method: 'POST', url: `/api/batches/${batch.id}/ids`, headers: json, payload: JSON.stringify({ text: paste(150_000) }) });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ error: 'batches.too_many_jobs', detail: expect.stringMatching(/at most 100,000 jobs.*150,000/), limit: 100_000 });
    const snap = await h.app.inject({ method: 'GET', url: `/api/batches/${batch.id}` });
    expect(snap.json()).toMatchObject({ batch: { jobCount: 0 } });
  }, 60_000);

  it('counts the ids already in the batch and all batches against the caps, and creates no batch past them', async () => {
    h = await startServiceHarness({ limits: { perBatch: 5, total: 8 } });
    const first = await h.app.inject({ method: 'POST', url: '/api/batches', headers: json, payload: { name: 'A', ids: paste(4) } });
    expect(first.statusCode).toBe(201);
    const { batch } = first.json<CreateBatchResponse>();
    // Two of these are in the batch already: 4 + 1 new = 5 is allowed, 4 + 2 new is not.
    const over = await h.app.inject({ method: 'POST', url: `/api/batches/${batch.id}/ids`, headers: json, payload: { text: paste(4, 2) } });
    expect(over.statusCode).toBe(413);
    expect(over.json()).toMatchObject({ error: 'batches.too_many_jobs', detail: expect.stringMatching(/at most 5 jobs; this would make 6/) });
    const fits = await h.app.inject({ method: 'POST', url: `/api/batches/${batch.id}/ids`, headers: json, payload: { text: paste(3, 2) } });
    expect(fits.statusCode).toBe(200);
    expect(fits.json<AddIdsResponse>()).toMatchObject({ added: [jobId(4)], duplicates: 2 });
    // 5 listed; a new batch of 4 other ids makes 9 > 8 in all.
    const total = await h.app.inject({ method: 'POST', url: '/api/batches', headers: json, payload: { name: 'B', ids: paste(4, 100) } });
    expect(total.statusCode).toBe(413);
    expect(total.json()).toMatchObject({ error: 'batches.too_many_jobs', detail: expect.stringMatching(/at most 8 jobs in all.*9/) });
    expect(await batchIds()).toEqual([batch.id]);
  });
});

describe('fault 8: a full disk answers 507 and leaves nothing half-written', () => {
  /** The database may not grow any more: the next page it needs fails with SQLITE_FULL, as on a full disk. */
  function fillDisk() {
    const db = h.service.store.db;
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
  }

  it('creating a batch with ids is one transaction: SQLITE_FULL answers 507 with a sentence, and no empty batch is left', async () => {
    h = await startServiceHarness();
    fillDisk();
    const res = await h.app.inject({ method: 'POST', url: '/api/batches', headers: json, payload: { name: 'Full', ids: paste(5000) } });
    expect(res.statusCode).toBe(507);
    expect(res.json()).toMatchObject({ error: 'storage.full', detail: expect.stringMatching(/disk is full.*nothing was saved/i) });
    expect(await batchIds()).toEqual([]);
  });

  it('adding ids to a batch on a full disk answers 507 and adds none', async () => {
    h = await startServiceHarness();
    const { batch } = (await h.app.inject({ method: 'POST', url: '/api/batches', headers: json, payload: { name: 'Full', ids: paste(2) } })).json<CreateBatchResponse>();
    fillDisk();
    const res = await h.app.inject({ method: 'POST', url: `/api/batches/${batch.id}/ids`, headers: json, payload: { text: paste(5000, 10) } });
    expect(res.statusCode).toBe(507);
    expect(res.json()).toMatchObject({ error: 'storage.full' });
    const snap = await h.app.inject({ method: 'GET', url: `/api/batches/${batch.id}` });
    expect(snap.json()).toMatchObject({ batch: { jobCount: 2 } });
  });
});
