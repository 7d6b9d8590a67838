// @vitest-environment node
/** Issue 13's fault tests of the batch routes (the `fault N:` groups); `vitest run -t '^fault'` runs them all. */
import { afterEach, describe, expect, it } from 'vitest';
import type { CreateBatchResponse, SubmitFileResponse } from '../../contract/dashboard-api.ts';
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
