// @vitest-environment node
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BatchSnapshot, CreateBatchResponse } from '../../contract/dashboard-api.ts';
import type { BatchInsight, ExportRow, InsightTotals } from '../../contract/insight-api.ts';
import type { JobStatusResponse } from '../../contract/job.ts';
import { json, startServiceHarness, type ServiceHarness } from '../batches/test-harness.ts';
import type { WebhookMessage } from '../notify/notifier.ts';
import { answers, startFakeUpstream, type FakeUpstream } from '../testing/fake-upstream.ts';
import { jobId, statusBody } from '../tracker/test-fixtures.ts';

let h: ServiceHarness | undefined;
let receiver: FakeUpstream | undefined;
afterEach(async () => {
  await h?.close();
  await receiver?.close();
  h = undefined;
  receiver = undefined;
});

/** The fake upstream answers each job's status from this table. */
function answerFrom(states: Map<string, JobStatusResponse>) {
  h!.fake.handle((req, res, rec) => {
    const id = /\/convert\/job\/([0-9a-f]+)/.exec(req.url ?? '')?.[1] ?? '';
    const body = states.get(id);
    return body ? answers.json(200, body)(req, res, rec) : answers.json(404, { error: 'jobs.not_found', detail: null })(req, res, rec);
  });
}

async function createBatch(ids: string[]): Promise<string> {
  const res = await h!.app.inject({ method: 'POST', url: '/api/batches', headers: json, payload: { name: 'Night run', ids: ids.join('\n') } });
  return res.json<CreateBatchResponse>().batch.id;
}

async function insight(batchId: string): Promise<BatchInsight> {
  const res = await h!.app.inject({ method: 'GET', url: `/api/batches/${batchId}/insight` });
  expect(res.statusCode).toBe(200);
  return res.json();
}

describe('history recorded by the server', () => {
  it('records counts over time, wait and run times, failure groups, and sends a webhook when the batch finishes', async () => {
    receiver = await startFakeUpstream();
    h = await startServiceHarness({ webhookUrls: [`${receiver.url}/hook`], publicUrl: 'https://dash.example.test' });
    const [a, b, c] = [jobId(1), jobId(2), jobId(3)];
    const states = new Map<string, JobStatusResponse>([
      [a, statusBody(a, 'Running', 10)],
      [b, statusBody(b, 'Running', 10)],
      [c, statusBody(c, 'Queued')],
    ]);
    answerFrom(states);
    const batchId = await createBatch([a, b, c]);
    await h.advance(15_000);

    states.set(a, statusBody(a, 'Succeeded'));
    states.set(b, { ...statusBody(b, 'Failed'), error: { code: 'convert.failed', detail: 'Broken header' } });
    states.set(c, statusBody(c, 'Running', 50));
    await h.advance(30_000);

    let view = await insight(batchId);
    expect(view.series.t.length).toBeGreaterThanOrEqual(3);
    const last = view.series.t.length - 1;
    expect(view.series.counts.Succeeded?.[last]).toBe(1);
    expect(view.series.counts.Failed?.[last]).toBe(1);
    expect(view.series.counts.Running?.[last]).toBe(1);
    expect(view.run.count).toBe(2);
    expect(view.wait.count).toBe(0); // pasted ids: never submitted through the dashboard
    expect(view.failureGroups).toEqual([{ code: 'convert.failed', detail: null, count: 1, exampleJobId: b, jobIds: [b] }]);
    expect(view.eta.kind).toBe('unknown');

    // The first failure was announced.
    await vi.waitFor(() => expect(receiver!.requests.length).toBeGreaterThanOrEqual(1));
    expect((JSON.parse(receiver.requests[0].bodyText) as WebhookMessage).event.kind).toBe('first_failure');

    states.set(c, statusBody(c, 'Succeeded'));
    await h.advance(30_000);
    view = await insight(batchId);
    expect(view.eta).toEqual({ kind: 'done' });
    await h.service.notifier.settled();
    const kinds = receiver.requests.map((r) => (JSON.parse(r.bodyText) as WebhookMessage).event.kind);
    expect(kinds).toEqual(['first_failure', 'batch_finished']);
    const message = JSON.parse(receiver.requests[1].bodyText) as WebhookMessage;
    expect(message.text).toContain(`https://dash.example.test/batches/${batchId}`);
    expect(receiver.requests[1].bodyText).not.toContain('test-key');
  });

  it('counts jobs that ran to an end as completions, not ids the upstream turned out not to know', async () => {
    h = await startServiceHarness();
    const running = [jobId(1), jobId(2)];
    const unknown = Array.from({ length: 10 }, (_, i) => jobId(100 + i));
    const states = new Map(running.map((id) => [id, statusBody(id, 'Running', 10)]));
    answerFrom(states);
    const batchId = await createBatch([...running, ...unknown]);
    await h.advance(15_000);
    const completions = (view: BatchInsight) => view.completionsPerMinute.count.reduce((a, b) => a + b, 0);
    let view = await insight(batchId);
    expect(view.series.counts.Gone?.at(-1)).toBe(10);
    expect(completions(view)).toBe(0);

    states.set(running[0], statusBody(running[0], 'Succeeded'));
    await h.advance(15_000);
    view = await insight(batchId);
    expect(view.series.counts.Succeeded?.at(-1)).toBe(1);
    expect(completions(view)).toBe(1);
  });

  it('counts files still waiting to be sent as work left: no "done" and no batch_finished while one waits', async () => {
    receiver = await startFakeUpstream();
    // One upstream slot: the second file waits in the spool until the first job is seen finished.
    h = await startServiceHarness({ webhookUrls: [`${receiver.url}/hook`], submissions: { maxActive: 1 } });
    const [a, b] = [jobId(51), jobId(52)];
    const states = new Map<string, JobStatusResponse>([[a, statusBody(a, 'Running', 10)]]);
    let posts = 0;
    h.fake.handle((req, res, rec) => {
      if (req.method === 'POST') return answers.json(202, { id: [a, b][posts++], status: 'Queued', creditCost: 1 })(req, res, rec);
      const id = /\/convert\/job\/([0-9a-f]+)/.exec(rec.url)?.[1] ?? '';
      return answers.json(200, states.get(id) ?? statusBody(id, 'Running', 10))(req, res, rec);
    });
    const batchId = await createBatch([]);
    for (const name of ['one.png', 'two.png']) {
      const res = await h.app.inject({
        method: 'POST',
        url: `/api/batches/${batchId}/files?targetFormat=jpg&fileName=${name}`,
        headers: { 'content-type': 'application/octet-stream' },
        payload: Buffer.from('x'),
      });
      expect(res.statusCode).toBe(202);
    }
    await h.advance(3_000);
    states.set(a, { ...statusBody(a, 'Failed'), error: { code: 'convert.failed', detail: null } });
    await h.advance(3_000);
    // a failed and b is on its way (Waiting, Sending or just Queued): the batch is not finished.
    expect((await insight(batchId)).eta.kind).not.toBe('done');
    await vi.waitFor(() => expect(receiver!.requests.length).toBeGreaterThanOrEqual(1));
    await h.advance(5_000);
    await h.service.notifier.settled();
    expect(receiver.requests.map((r) => (JSON.parse(r.bodyText) as WebhookMessage).event.kind)).toEqual(['first_failure']);

    states.set(b, statusBody(b, 'Succeeded'));
    await h.advance(65_000);
    expect((await insight(batchId)).eta).toEqual({ kind: 'done' });
    await h.service.notifier.settled();
    expect(receiver.requests.map((r) => (JSON.parse(r.bodyText) as WebhookMessage).event.kind)).toEqual(['first_failure', 'batch_finished']);
  });

  it('answers a batch that just changed with its new failures, not the insight of a moment ago', async () => {
    h = await startServiceHarness();
    const [a, b] = [jobId(61), jobId(62)];
    answerFrom(new Map([
      [a, { ...statusBody(a, 'Failed'), error: { code: 'convert.failed', detail: null } }],
      [b, { ...statusBody(b, 'Failed'), error: { code: 'convert.failed', detail: null } }],
    ]));
    const batchId = await createBatch([a, b]);
    await h.advance(15_000);
    expect((await insight(batchId)).failureGroups.map((g) => g.jobIds)).toEqual([[a, b]]);
    const removed = await h.app.inject({ method: 'POST', url: `/api/batches/${batchId}/remove`, headers: json, payload: { ids: [a] } });
    expect(removed.statusCode).toBe(200);
    // No time has passed, well within the 2 s an unchanged batch's insight is reused for.
    expect((await insight(batchId)).failureGroups.map((g) => g.jobIds)).toEqual([[b]]);
  });

  it('shares a moment-old insight with a tab that saw no later revision, and computes afresh for one that did', async () => {
    h = await startServiceHarness();
    const [a, b] = [jobId(63), jobId(64)];
    answerFrom(new Map([
      [a, { ...statusBody(a, 'Failed'), error: { code: 'convert.failed', detail: null } }],
      [b, { ...statusBody(b, 'Failed'), error: { code: 'convert.failed', detail: null } }],
    ]));
    const batchId = await createBatch([a, b]);
    await h.advance(15_000);
    const seen = h.service.store.getBatch(batchId)!.revision;
    const read = async (query: string) => {
      const res = await h!.app.inject({ method: 'GET', url: `/api/batches/${batchId}/insight${query}` });
      expect(res.statusCode).toBe(200);
      return res.json<BatchInsight>().failureGroups.map((g) => g.jobIds);
    };
    expect(await read(`?revision=${seen}`)).toEqual([[a, b]]);
    await h.app.inject({ method: 'POST', url: `/api/batches/${batchId}/remove`, headers: json, payload: { ids: [a] } });
    const now = h.service.store.getBatch(batchId)!.revision;
    expect(now).toBeGreaterThan(seen);
    // A tab still at the old revision gets the shared insight of a moment ago; one that saw the change does not.
    expect(await read(`?revision=${seen}`)).toEqual([[a, b]]);
    expect(await read(`?revision=${now}`)).toEqual([[b]]);
    const bad = await h.app.inject({ method: 'GET', url: `/api/batches/${batchId}/insight?revision=soon` });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({ error: 'request.invalid_parameter', detail: 'revision must be a batch revision, a whole number.' });
  });

  it("shares a running batch's insight for 4 s even with tabs that saw a later revision", async () => {
    h = await startServiceHarness();
    const [a, b] = [jobId(65), jobId(66)];
    answerFrom(new Map([[a, statusBody(a, 'Running', 10)], [b, statusBody(b, 'Running', 10)]]));
    const batchId = await createBatch([a, b]);
    await h.advance(15_000);
    const first = await h.service.history.insight(batchId);
    expect(first.eta.kind).not.toBe('done');
    await h.app.inject({ method: 'POST', url: `/api/batches/${batchId}/remove`, headers: json, payload: { ids: [a] } });
    const now = h.service.store.getBatch(batchId)!.revision;
    expect(await h.service.history.insight(batchId, now)).toBe(first);
    await h.advance(3_000);
    expect(await h.service.history.insight(batchId, now)).toBe(first);
    await h.advance(1_000);
    expect(await h.service.history.insight(batchId, now)).not.toBe(first);
  });

  it('sends a large insight gzipped to a client that takes gzip, the same JSON as uncompressed', async () => {
    h = await startServiceHarness();
    const ids = Array.from({ length: 60 }, (_, i) => jobId(200 + i));
    answerFrom(new Map(ids.map((id) => [id, { ...statusBody(id, 'Running', 30), progress: { percent: 30, phase: 'converting' } }])));
    const batchId = await createBatch(ids);
    await h.advance(7 * 60_000);
    const url = `/api/batches/${batchId}/insight`;
    const plain = await h.app.inject({ method: 'GET', url });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.json<BatchInsight>().stalled).toHaveLength(60);
    expect(plain.body.length).toBeGreaterThan(8 * 1024);
    const zipped = await h.app.inject({ method: 'GET', url, headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toMatch(/accept-encoding/i);
    expect(zipped.rawPayload.length).toBeLessThan(plain.body.length / 4);
    expect(JSON.parse(gunzipSync(zipped.rawPayload).toString('utf8'))).toEqual(plain.json());
  });

  it('marks a running job whose progress has not moved for 5 minutes as stalled, with the reason', async () => {
    h = await startServiceHarness();
    const a = jobId(7);
    answerFrom(new Map([[a, { ...statusBody(a, 'Running', 30), progress: { percent: 30, phase: 'converting' } }]]));
    const batchId = await createBatch([a]);
    await h.advance(4 * 60_000);
    expect((await insight(batchId)).stalled).toEqual([]);
    // Its first poll came within 12 s of the paste; it counts as stalled once the tracker has seen it unchanged
    // for 5 minutes (its polls are at most a minute apart).
    await h.advance(2 * 60_000);
    const view = await insight(batchId);
    expect(view.stalled).toHaveLength(1);
    expect(view.stalled[0]).toMatchObject({ jobId: a, thresholdMs: 5 * 60_000 });
    expect(view.stalled[0].reason).toMatch(/default of 5 min/);
    // The export of the page's Stalled? chip holds that job, by the same judgement.
    const stalledExport = await h.app.inject({ method: 'GET', url: `/api/batches/${batchId}/export.json?stalled=1` });
    expect(stalledExport.json<ExportRow[]>().map((r) => r.id)).toEqual([a]);
    expect(stalledExport.headers['content-disposition']).toMatch(/-filtered\.json"/);
    // The batch's rows carry when each job was first seen running: the table's wait and run columns.
    const snapshot = (await h.app.inject({ method: 'GET', url: `/api/batches/${batchId}` })).json<BatchSnapshot>();
    expect(Date.parse(snapshot.jobs[0].firstSeenRunningAt ?? '')).toBeLessThanOrEqual(Date.parse(snapshot.serverTime) - 5 * 60_000);
  });

  it('takes the stall default from STALL_DEFAULT_SECONDS, and says it in the rule sent to the page', async () => {
    h = await startServiceHarness({ stallDefaultMs: 30_000 });
    const a = jobId(8);
    answerFrom(new Map([[a, { ...statusBody(a, 'Running', 30), progress: { percent: 30, phase: 'converting' } }]]));
    const batchId = await createBatch([a]);
    await h.advance(15_000);
    expect((await insight(batchId)).stalled).toEqual([]);
    await h.advance(45_000);
    const view = await insight(batchId);
    expect(view.rules.stallDefaultMs).toBe(30_000);
    expect(view.stalled).toHaveLength(1);
    expect(view.stalled[0]).toMatchObject({ jobId: a, thresholdMs: 30_000 });
    expect(view.stalled[0].reason).toMatch(/default of 30 s/);
  });

  it('exports every job, or the filtered ones, as CSV and JSON', async () => {
    h = await startServiceHarness();
    const [a, b] = [jobId(21), jobId(22)];
    answerFrom(new Map([
      [a, statusBody(a, 'Succeeded')],
      [b, { ...statusBody(b, 'Failed'), error: { code: 'convert.failed', detail: 'Bad, "quoted" text' } }],
    ]));
    const batchId = await createBatch([a, b]);
    await h.advance(15_000);

    const csv = await h.app.inject({ method: 'GET', url: `/api/batches/${batchId}/export.csv` });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toBe('attachment; filename="Night-run.csv"');
    const lines = csv.body.trimEnd().split('\r\n');
    expect(lines[0]).toBe('id,file,target,state,percent,phase,errorCode,errorDetail,inputBytes,outputBytes,credits,addedAt,submittedAt,firstSeenRunningAt,firstSeenFinishedAt,waitMs,runMs,expiresEarliest,expiresLatest,downloadedAt,kept');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toContain(`${b},,,Failed,100,,convert.failed,"Bad, ""quoted"" text"`);

    const filtered = await h.app.inject({ method: 'GET', url: `/api/batches/${batchId}/export.json?status=Succeeded` });
    const rows = filtered.json<ExportRow[]>();
    expect(rows.map((r) => [r.id, r.state, r.kept])).toEqual([[a, 'Succeeded', false]]);
    expect(rows[0].expiresEarliest).not.toBeNull();

    const byQuery = await h.app.inject({ method: 'GET', url: `/api/batches/${batchId}/export.json?q=${b.slice(-8)}` });
    expect(byQuery.json<ExportRow[]>().map((r) => r.id)).toEqual([b]);

    const one = await h.app.inject({ method: 'GET', url: `/api/batches/${batchId}/jobs/${b}/insight` });
    expect(one.json<ExportRow>()).toMatchObject({ id: b, state: 'Failed', errorCode: 'convert.failed' });

    const bad = await h.app.inject({ method: 'GET', url: `/api/batches/${batchId}/export.csv?status=Done` });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: 'request.invalid_parameter' });
  });

  it('exports the rows the page shows for the Expired chip and a receipt chip, not the stored state', async () => {
    h = await startServiceHarness();
    const [a, b] = [jobId(41), jobId(42)];
    answerFrom(new Map([
      [a, statusBody(a, 'Succeeded')],
      [b, { ...statusBody(b, 'Failed'), error: { code: 'convert.failed', detail: null } }],
    ]));
    const batchId = await createBatch([a, b]);
    await h.advance(15_000);
    const ids = async (query: string) => {
      const res = await h!.app.inject({ method: 'GET', url: `/api/batches/${batchId}/export.json?${query}` });
      expect(res.statusCode).toBe(200);
      return res.json<ExportRow[]>().map((r) => r.id);
    };
    expect(await ids('status=Succeeded')).toEqual([a]);
    expect(await ids('status=Expired')).toEqual([]);
    expect(await ids('receipt=notDownloaded')).toEqual([a]);

    // Past the output's retention (1 h) its row reads Expired, and so does the export.
    await h.advance(61 * 60_000);
    expect(await ids('status=Succeeded')).toEqual([]);
    expect(await ids('status=Expired')).toEqual([a]);
    expect(await ids('receipt=lost')).toEqual([a]);
    expect(await ids('status=Expired&q=zzz')).toEqual([]);

    const bad = await h.app.inject({ method: 'GET', url: `/api/batches/${batchId}/export.csv?receipt=soon` });
    expect(bad.statusCode).toBe(400);
    // Nothing is Stalled? here: the chip's export is empty, and a value the page never writes is refused.
    expect(await ids('stalled=1')).toEqual([]);
    expect((await h.app.inject({ method: 'GET', url: `/api/batches/${batchId}/export.csv?stalled=yes` })).statusCode).toBe(400);
    expect(bad.json<{ detail: string }>().detail).toMatch(/^receipt must be one of/);
  });

  it('totals active jobs, failures of the last hour and outputs expiring within 10 minutes across batches', async () => {
    h = await startServiceHarness();
    const [a, b, c] = [jobId(31), jobId(32), jobId(33)];
    const states = new Map<string, JobStatusResponse>([
      [a, statusBody(a, 'Running', 5)],
      [b, statusBody(b, 'Running', 5)],
      [c, statusBody(c, 'Running', 5)],
    ]);
    answerFrom(states);
    const batchId = await createBatch([a, b, c]);
    await h.advance(5_000);
    states.set(b, { ...statusBody(b, 'Failed'), error: { code: 'convert.failed', detail: null } });
    states.set(c, statusBody(c, 'Succeeded'));
    await h.advance(20_000);
    let totals = (await h.app.inject({ method: 'GET', url: '/api/insight/totals' })).json<InsightTotals>();
    expect(totals).toMatchObject({ active: 1, failedLastHour: 1, expiringSoon: 0 });
    expect(totals.batches).toEqual([{ batchId, name: 'Night run', active: 1, failedLastHour: 1, expiringSoon: 0 }]);
    // 51 minutes on, c's output (retention 1 h) may be deleted within 10 minutes.
    await h.advance(51 * 60_000);
    totals = (await h.app.inject({ method: 'GET', url: '/api/insight/totals' })).json<InsightTotals>();
    expect(totals).toMatchObject({ failedLastHour: 1, expiringSoon: 1 });
    expect((await insight(batchId)).expiringSoon).toBe(1);

    // A copy kept on the server's disk is not about to be lost: neither counted nor announced.
    const now = h.clock.now();
    h.service.store.recordKept(c, { at: now, until: now + 7 * 86_400_000, bytes: 10, type: 'image/jpeg', disposition: null });
    // (Past the 4 s for which a running batch's insight is shared.)
    await h.advance(5_000);
    totals = (await h.app.inject({ method: 'GET', url: '/api/insight/totals' })).json<InsightTotals>();
    expect(totals.expiringSoon).toBe(0);
    expect((await insight(batchId)).expiringSoon).toBe(0);
    const row = (await h.app.inject({ method: 'GET', url: `/api/batches/${batchId}/jobs/${c}/insight` })).json<ExportRow>();
    expect(row.kept).toBe(true);
  });

  it('counts an output as expiring soon only while it is neither downloaded nor kept', async () => {
    h = await startServiceHarness();
    const [a, b] = [jobId(71), jobId(72)];
    answerFrom(new Map([[a, statusBody(a, 'Succeeded')], [b, statusBody(b, 'Succeeded')]]));
    const batchId = await createBatch([a, b]);
    await h.advance(15_000);
    expect((await insight(batchId)).expiringSoon).toBe(0);
    await h.advance(51 * 60_000);
    expect((await insight(batchId)).expiringSoon).toBe(2);
    h.service.store.markDownloaded(a, h.clock.now());
    await h.advance(3_000);
    expect((await insight(batchId)).expiringSoon).toBe(1);
  });
});
