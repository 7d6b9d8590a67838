// @vitest-environment node
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CreateBatchResponse } from '../../contract/dashboard-api.ts';
import { ROWS_PER_LINE, decodeJobRow, type BatchDelta, type DeltaAnswer, type SnapshotHead } from '../../contract/live.ts';
import { buildServer } from '../app.ts';
import { json, startServiceHarness, type ServiceHarness } from '../batches/test-harness.ts';
import { jobId, statusBody } from '../tracker/test-fixtures.ts';
import { FIRST_LINE_ROWS, MAX_DELTA_ROWS } from './feed.ts';
import { CALM_MS, MAX_BACKLOG_BYTES, TICK_MS } from './hub.ts';

let h: ServiceHarness;
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await h?.close();
});

async function createBatch(ids: string[]): Promise<string> {
  const res = await h.app.inject({ method: 'POST', url: '/api/batches', headers: json, payload: { name: 'Live', ids: ids.join('\n') } });
  expect(res.statusCode).toBe(201);
  return res.json<CreateBatchResponse>().batch.id;
}

function running(id: string, percent: number) {
  h.service.observe({ jobId: id, action: 'status', statusCode: 200, body: statusBody(id, 'Running', percent) });
}

async function since(batchId: string, revision: number): Promise<DeltaAnswer> {
  const res = await h.app.inject({ method: 'GET', url: `/api/batches/${batchId}?since=${revision}` });
  expect(res.statusCode).toBe(200);
  return res.json();
}

function revisionOf(batchId: string): number {
  return h.service.store.liveRevision(batchId)!.revision;
}

interface Event {
  event: string;
  id: string | null;
  data: string;
}

/** An EventSource-like reader over node:http: the events so far, and a way to drop the connection. */
async function openStream(url: string, headers: Record<string, string> = {}) {
  const events: Event[] = [];
  let status = 0;
  let contentType = '';
  const req = http.get(url, { headers }, (res) => {
    status = res.statusCode ?? 0;
    contentType = String(res.headers['content-type']);
    res.setEncoding('utf8');
    let buffer = '';
    res.on('data', (chunk: string) => {
      buffer += chunk;
      for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event: Event = { event: 'message', id: null, data: '' };
        let isEvent = false;
        for (const line of block.split('\n')) {
          const [field, ...rest] = line.split(': ');
          const value = rest.join(': ');
          if (field === 'event') event.event = value;
          else if (field === 'id') event.id = value;
          else if (field === 'data') {
            event.data = value;
            isEvent = true;
          }
        }
        if (isEvent) events.push(event);
      }
    });
    res.on('error', () => {});
  });
  req.on('error', () => {});
  const close = () => {
    req.destroy();
  };
  closers.push(close);
  await vi.waitFor(() => expect(status).not.toBe(0));
  return {
    events,
    get status() {
      return status;
    },
    contentType,
    deltas: () => events.filter((e) => e.event === 'delta').map((e) => JSON.parse(e.data) as BatchDelta),
    close,
  };
}

async function listen(): Promise<string> {
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
}

describe('revisions', () => {
  it('does not move the revision for a poll that saw nothing new, and keeps "checked at" as a batch fact', async () => {
    h = await startServiceHarness();
    h.fake.handle((req, res) => {
      const id = /\/convert\/job\/([0-9a-f]{32})$/.exec(req.url ?? '')![1];
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(statusBody(id, 'Running', 40)));
    });
    const batchId = await createBatch([jobId(1)]);
    await h.advance(5_000);
    const after = revisionOf(batchId);
    const polled = h.fake.requests.length;
    await h.advance(60_000);
    expect(h.fake.requests.length).toBeGreaterThan(polled);
    expect(revisionOf(batchId)).toBe(after);
    const nothing = (await since(batchId, after)) as BatchDelta;
    expect(nothing.jobs).toEqual([]);
    expect(Date.parse(nothing.checkedAt!)).toBeGreaterThan(h.clock.now() - 60_000);
  });
});

describe('deltas with ?since=', () => {
  it('answers only the jobs that changed after the revision, in compact rows, and new jobs too', async () => {
    h = await startServiceHarness();
    const ids = [jobId(1), jobId(2), jobId(3)];
    const batchId = await createBatch(ids);
    const base = revisionOf(batchId);
    running(ids[1], 30);
    await h.app.inject({ method: 'POST', url: `/api/batches/${batchId}/ids`, headers: json, payload: { text: jobId(4) } });
    const delta = (await since(batchId, base)) as BatchDelta;
    expect(delta.from).toBe(base);
    expect(delta.revision).toBe(revisionOf(batchId));
    const jobs = delta.jobs.map((row) => decodeJobRow(row, delta.fields));
    expect(jobs.map((j) => [j.id, j.state])).toEqual([
      [ids[1], 'Running'],
      [jobId(4), 'Unknown'],
    ]);
    expect(delta.batch.jobCount).toBe(4);
    // Far smaller than the snapshot's JSON per job: the keys are sent once.
    expect(JSON.stringify(delta.jobs[0]).length).toBeLessThan(JSON.stringify(jobs[0]).length * 0.8);
  });

  it('answers a reset when jobs were removed since, or the tab is too far behind', async () => {
    h = await startServiceHarness();
    const ids = Array.from({ length: MAX_DELTA_ROWS + 10 }, (_, i) => jobId(i));
    const batchId = await createBatch(ids);
    const base = revisionOf(batchId);
    expect(await since(batchId, 0)).toEqual({ reset: true, revision: base });
    expect(await since(batchId, base + 5)).toEqual({ reset: true, revision: base });
    running(ids[0], 10);
    expect(((await since(batchId, base)) as BatchDelta).jobs).toHaveLength(1);
    await h.app.inject({ method: 'POST', url: `/api/batches/${batchId}/remove`, headers: json, payload: { ids: [ids[5]] } });
    expect(await since(batchId, base)).toEqual({ reset: true, revision: revisionOf(batchId) });
    const bad = await h.app.inject({ method: 'GET', url: `/api/batches/${batchId}?since=abc` });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: 'request.invalid_body' });
  });

  it('streams the first load as NDJSON: a head line, then rows in lines, the same rows as the snapshot', async () => {
    h = await startServiceHarness();
    const ids = Array.from({ length: 4_500 }, (_, i) => jobId(i));
    const batchId = await createBatch(ids);
    const res = await h.app.inject({ method: 'GET', url: `/api/batches/${batchId}?rows=ndjson` });
    expect(res.headers['content-type']).toContain('application/x-ndjson');
    const [headLine, ...rowLines] = res.body.trimEnd().split('\n');
    const head = JSON.parse(headLine) as SnapshotHead;
    expect(head).toMatchObject({ total: 4_500, revision: revisionOf(batchId), batch: { jobCount: 4_500 } });
    // A screenful first, so the page draws at once; then full lines.
    expect(rowLines.map((line) => (JSON.parse(line) as unknown[]).length)).toEqual([FIRST_LINE_ROWS, ROWS_PER_LINE, ROWS_PER_LINE, 4_500 - FIRST_LINE_ROWS - 2 * ROWS_PER_LINE]);
    const rows = rowLines.flatMap((line) => JSON.parse(line) as unknown[][]);
    expect(rows.map((r) => decodeJobRow(r, head.fields).id)).toEqual(ids);
    // Compact: well under the ~500 bytes a job of the JSON snapshot takes.
    expect(res.body.length / ids.length).toBeLessThan(300);
  });
  it('hands out the head and the first screenful of a big batch before reading the rest of it', async () => {
    h = await startServiceHarness();
    const batchId = await createBatch(Array.from({ length: 3_000 }, (_, i) => jobId(i)));
    const pages = vi.spyOn(h.service.store, 'batchJobVersionPage');
    const lines = h.service.live.feed.snapshotLines(h.service.store.getBatch(batchId)!);
    const head = JSON.parse((await lines.next()).value as string) as SnapshotHead;
    expect(head).toMatchObject({ total: 3_000, batch: { jobCount: 3_000 } });
    expect(pages).not.toHaveBeenCalled();
    expect(JSON.parse((await lines.next()).value as string)).toHaveLength(FIRST_LINE_ROWS);
    expect(pages.mock.calls.map((call) => call[2])).toEqual([FIRST_LINE_ROWS]);
    await lines.return(undefined);
  });
});

describe('the event stream', () => {
  it('pushes each change once and resumes after a dropped connection without a gap or a duplicate', async () => {
    h = await startServiceHarness();
    const ids = [jobId(1), jobId(2), jobId(3)];
    const batchId = await createBatch(ids);
    // The upstream says what the test last set, so the tracker's polls of the shown jobs change nothing.
    const percents = new Map<string, number>();
    h.fake.handle((req, res) => {
      const id = /\/convert\/job\/([0-9a-f]{32})$/.exec(req.url ?? '')![1];
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(statusBody(id, 'Running', percents.get(id) ?? 1)));
    });
    const set = (id: string, percent: number) => {
      percents.set(id, percent);
      running(id, percent);
    };
    for (const id of ids) set(id, 1);
    const base = await listen();
    const start = revisionOf(batchId);
    const first = await openStream(`${base}/api/batches/${batchId}/events?since=${start}`);
    expect(first.status).toBe(200);
    expect(first.contentType).toContain('text/event-stream');

    // Shown in some tab, so each change goes at the next tick (the next test: changes no tab shows).
    h.service.live.hub.view(batchId, 'tab', ids);
    set(ids[0], 10);
    await h.clock.advance(TICK_MS);
    await vi.waitFor(() => expect(first.deltas()).toHaveLength(1));
    set(ids[1], 20);
    await h.clock.advance(TICK_MS);
    await vi.waitFor(() => expect(first.deltas()).toHaveLength(2));
    const lastId = first.events.filter((e) => e.event === 'delta').at(-1)!.id!;
    expect(Number(lastId)).toBe(revisionOf(batchId));
    first.close();

    // While disconnected: job 2 changes again and job 3 for the first time since the stream opened.
    set(ids[1], 50);
    set(ids[2], 5);
    const resumed = await openStream(`${base}/api/batches/${batchId}/events?since=${start}`, { 'last-event-id': lastId });
    await vi.waitFor(() => expect(resumed.deltas()).toHaveLength(1));
    const catchUp = resumed.deltas()[0];
    expect(catchUp.from).toBe(Number(lastId));
    expect(catchUp.jobs.map((r) => decodeJobRow(r, catchUp.fields)).map((j) => [j.id, j.last?.progress.percent])).toEqual([
      [ids[1], 50],
      [ids[2], 5],
    ]);
    // Nothing more to send: no repeat of what the first connection delivered.
    await h.clock.advance(TICK_MS * 4);
    expect(resumed.deltas()).toHaveLength(1);
  });

  it('pushes a change to a job some tab shows at the next tick, and gathers changes no tab shows for a while', async () => {
    h = await startServiceHarness();
    const ids = [jobId(1), jobId(2)];
    const batchId = await createBatch(ids);
    const writes: string[] = [];
    closers.push(h.service.live.hub.subscribe(batchId, revisionOf(batchId), { write: (t) => writes.push(t), backlog: () => 0 }));
    h.service.live.hub.view(batchId, 'another tab', [ids[0]]);
    const percents = () =>
      writes
        .filter((w) => w.startsWith('event: delta'))
        .map((w) => JSON.parse(w.split('data: ')[1]) as BatchDelta)
        .map((d) => d.jobs.map((r) => decodeJobRow(r, d.fields)).map((j) => `${j.id === ids[0] ? 'shown' : 'other'} ${j.last?.progress.percent}`));

    // Just after the stream opened: a change no tab shows waits; one to a shown job goes at once, with it.
    running(ids[1], 10);
    await h.clock.advance(TICK_MS);
    expect(percents()).toEqual([]);
    running(ids[0], 10);
    await h.clock.advance(TICK_MS);
    expect(percents()).toEqual([['shown 10', 'other 10']]);
    // Another change no tab shows: sent CALM_MS after the previous event, not before.
    running(ids[1], 20);
    await h.clock.advance(CALM_MS - TICK_MS);
    expect(percents()).toHaveLength(1);
    await h.clock.advance(TICK_MS);
    expect(percents()).toEqual([['shown 10', 'other 10'], ['other 20']]);
    // After a quiet spell, at the next tick.
    await h.clock.advance(CALM_MS * 2);
    running(ids[1], 30);
    await h.clock.advance(TICK_MS);
    expect(percents().at(-1)).toEqual(['other 30']);
  });

  it('skips a tab that stopped reading and gives it a fresh base once it is too far behind', async () => {
    h = await startServiceHarness();
    const ids = Array.from({ length: MAX_DELTA_ROWS + 5 }, (_, i) => jobId(i));
    const batchId = await createBatch(ids);
    const writes: string[] = [];
    let backlog = MAX_BACKLOG_BYTES + 1;
    const stop = h.service.live.hub.subscribe(batchId, revisionOf(batchId), { write: (t) => writes.push(t), backlog: () => backlog });
    closers.push(stop);
    writes.length = 0;
    for (const id of ids) running(id, 10);
    await h.clock.advance(TICK_MS * 2);
    expect(writes).toEqual([]);
    backlog = 0;
    await h.clock.advance(TICK_MS);
    expect(writes[0]).toMatch(/^event: reset\ndata: \{"reset":true,"revision":\d+\}\n\n$/);
  });

  it('sends heartbeats with the batch meta while nothing changes', async () => {
    h = await startServiceHarness();
    const batchId = await createBatch([jobId(1)]);
    const writes: string[] = [];
    closers.push(h.service.live.hub.subscribe(batchId, revisionOf(batchId), { write: (t) => writes.push(t), backlog: () => 0 }));
    writes.length = 0;
    await h.clock.advance(16_000);
    expect(writes.filter((w) => w.startsWith('event: meta'))).toHaveLength(1);
  });

  it('stands behind the same Host and password checks as every /api route', async () => {
    h = await startServiceHarness();
    const batchId = await createBatch([jobId(1)]);
    const app = await buildServer({ upstream: h.upstream, allowedHosts: [], password: 'pw', api: h.service.plugin });
    closers.push(() => app.close());
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const auth = `Basic ${Buffer.from('any:pw').toString('base64')}`;
    const foreign = await openStream(`${base}/api/batches/${batchId}/events`, { host: 'evil.test', authorization: auth });
    expect(foreign.status).toBe(421);
    const anonymous = await openStream(`${base}/api/batches/${batchId}/events`);
    expect(anonymous.status).toBe(401);
    const ok = await openStream(`${base}/api/batches/${batchId}/events`, { authorization: auth });
    expect(ok.status).toBe(200);
    expect(ok.contentType).toContain('text/event-stream');
    await vi.waitFor(() => expect(ok.events.map((e) => e.event)).toContain('meta'));
  });
});

describe('what tabs show', () => {
  it('has the tracker poll the jobs a tab reports as shown ahead of the rest', async () => {
    h = await startServiceHarness({ trackerOptions: { maxRps: 2 } });
    const order: string[] = [];
    h.fake.handle((req, res) => {
      const id = /\/convert\/job\/([0-9a-f]{32})$/.exec(req.url ?? '')![1];
      order.push(id);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(statusBody(id, 'Running', 1)));
    });
    const ids = Array.from({ length: 50 }, (_, i) => jobId(i));
    const batchId = await createBatch(ids);
    const res = await h.app.inject({ method: 'POST', url: `/api/batches/${batchId}/view`, headers: json, payload: { tab: 't1', ids: [ids[40], ids[41]] } });
    expect(res.statusCode).toBe(204);
    await h.advance(1_400);
    expect(order.slice(0, 2).sort()).toEqual([ids[40], ids[41]]);
    const bad = await h.app.inject({ method: 'POST', url: `/api/batches/${batchId}/view`, headers: json, payload: { ids: 'x' } });
    expect(bad.statusCode).toBe(400);
  });
});
