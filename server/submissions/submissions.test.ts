// @vitest-environment node
/**
 * The spool, the feeder and retries, against the scriptable fake upstream and a fake clock.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BatchSnapshot, CreateBatchResponse, RetryResponse, SubmitFileResponse } from '../../contract/dashboard-api.ts';
import type { BatchServiceOptions } from '../batches/service.ts';
import { json, startServiceHarness, type ServiceHarness } from '../batches/test-harness.ts';
import { answers, type FakeHandler } from '../testing/fake-upstream.ts';
import { jobId, statusBody } from '../tracker/test-fixtures.ts';

let h: ServiceHarness;
afterEach(async () => {
  await h?.close();
});

async function start(submissions: BatchServiceOptions['submissions'] = {}): Promise<ServiceHarness> {
  h = await startServiceHarness({ submissions });
  return h;
}

async function createBatch(name = 'Uploads', ids?: string): Promise<string> {
  const res = await h.app.inject({ method: 'POST', url: '/api/batches', headers: json, payload: { name, ids } });
  return res.json<CreateBatchResponse>().batch.id;
}

async function upload(batchId: string, fileName: string, content: string | Buffer, query = 'targetFormat=jpg') {
  return h.app.inject({
    method: 'POST',
    url: `/api/batches/${batchId}/files?${query}&fileName=${encodeURIComponent(fileName)}`,
    headers: { 'content-type': 'application/octet-stream' },
    payload: typeof content === 'string' ? Buffer.from(content) : content,
  });
}

async function snapshot(batchId: string): Promise<BatchSnapshot> {
  return (await h.app.inject({ method: 'GET', url: `/api/batches/${batchId}` })).json<BatchSnapshot>();
}

async function retry(batchId: string, jobIds: string[]): Promise<RetryResponse> {
  const res = await h.app.inject({ method: 'POST', url: `/api/batches/${batchId}/retry`, headers: json, payload: { jobIds } });
  expect(res.statusCode).toBe(202);
  return res.json<RetryResponse>();
}

/** Mounts a tmpfs of `size` at `dir` (root only); false where this machine does not allow it. */
function mountTmpfs(dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const canMount = (() => {
  const probe = mkdtempSync(join(tmpdir(), 'mount-probe-'));
  const ok = mountTmpfs(probe, '64k');
  if (ok) execFileSync('umount', [probe]);
  rmSync(probe, { recursive: true, force: true });
  return ok;
})();

const spoolFiles = async () => (await readdir(join(h.dir, 'data', 'spool'))).sort();

/** Accepts every POST /convert with the next id of `ids`; answers status polls with `status(id)`. */
function acceptAll(ids: string[], status: (id: string) => unknown = (id) => statusBody(id, 'Running', 10)): FakeHandler {
  let next = 0;
  return (req, res, rec) => {
    if (req.method === 'POST') return answers.json(202, { id: ids[next++], status: 'Queued', creditCost: 1 })(req, res, rec);
    const id = /\/convert\/job\/([0-9a-f]+)/.exec(rec.url)?.[1] ?? '';
    return answers.json(200, status(id))(req, res, rec);
  };
}

describe('spooled submissions', () => {
  it('answers 202 with a Waiting row before any upstream call, then sends the file and lets the job take its place', async () => {
    await start();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const id = jobId(77);
    h.fake.handle(async (req, res, rec) => {
      await held;
      return acceptAll([id])(req, res, rec);
    });
    const batchId = await createBatch();
    const res = await upload(batchId, 'holiday.png', 'PNGDATA'.repeat(100), 'targetFormat=jpg&options=%7B%22quality%22%3A80%7D');
    expect(res.statusCode).toBe(202);
    const { job } = res.json<SubmitFileResponse>();
    expect(job).toMatchObject({ state: expect.stringMatching(/^(Waiting|Sending)$/), fileName: 'holiday.png', targetFormat: 'jpg' });
    expect(job.id).toMatch(/^sub_/);
    expect(job.submission).toEqual({ id: job.id, attempt: 1, history: [], sourceKept: true });
    expect(await spoolFiles()).toEqual([job.id]);

    const sent = await vi.waitFor(() => h.fake.requests[0] ?? Promise.reject(new Error('not sent yet')));
    expect((await snapshot(batchId)).jobs[0]).toMatchObject({ id: job.id, state: 'Sending' });
    release();
    await sent.bodyDone;
    expect(sent.url).toBe('/convert?targetFormat=jpg');
    expect(sent.headers['x-fast-api-key']).toBe('test-key');
    expect(sent.bodyText).toContain('name="options"\r\n\r\n{"quality":80}\r\n');
    expect(sent.bodyText).toContain(`filename="holiday.png"\r\nContent-Type: application/octet-stream\r\n\r\n${'PNGDATA'.repeat(100)}\r\n`);
    expect(Number(sent.headers['content-length'])).toBe(sent.bodyBytes);

    await vi.waitFor(async () => expect((await snapshot(batchId)).jobs[0]).toMatchObject({ id, state: 'Queued', fileName: 'holiday.png' }));
    const snap = await snapshot(batchId);
    expect(snap.jobs).toHaveLength(1);
    expect(snap.batch.counts).toMatchObject({ Queued: 1, Waiting: 0, Sending: 0 });
    expect(h.service.tracker.isTracked(id)).toBe(true);
  });

  it('counts waiting rows in the header and the progress, and keeps files in arrival order across batches', async () => {
    await start({ maxActive: 1 });
    h.fake.handle(acceptAll([jobId(1), jobId(2), jobId(3)]));
    const a = await createBatch('A');
    const b = await createBatch('B');
    await upload(a, 'one.png', 'x');
    await upload(b, 'two.png', 'x');
    await upload(a, 'three.png', 'x');
    await vi.waitFor(async () => expect((await snapshot(a)).jobs[0].state).toBe('Queued'));
    const snapA = await snapshot(a);
    expect(snapA.batch.counts).toMatchObject({ Queued: 1, Waiting: 1 });
    expect(snapA.batch.jobCount).toBe(2);
    expect(snapA.jobs.map((j) => j.fileName)).toEqual(['one.png', 'three.png']);
    // One slot: nothing else goes before the first job is seen finished.
    expect(h.fake.requests.filter((r) => r.method === 'POST')).toHaveLength(1);

    h.fake.handle(acceptAll([jobId(2), jobId(3)], (id) => statusBody(id, 'Succeeded')));
    await h.advance(2_000);
    await vi.waitFor(() => expect(h.fake.requests.filter((r) => r.method === 'POST')).toHaveLength(2));
    const posts = h.fake.requests.filter((r) => r.method === 'POST');
    expect(posts[1].bodyText).toContain('filename="two.png"');
  });

  it('polls the job holding the only slot every second while a file waits for it, and backs off once none waits', async () => {
    await start({ maxActive: 1 });
    h.fake.handle(acceptAll([jobId(1), jobId(2)]));
    const batchId = await createBatch();
    await upload(batchId, 'one.png', 'x');
    await upload(batchId, 'two.png', 'x');
    await vi.waitFor(async () => expect((await snapshot(batchId)).jobs[0].state).toBe('Queued'));
    const polls = (id: string) => h.fake.requests.filter((r) => r.method === 'GET' && r.url.includes(id)).length;
    for (let s = 0; s < 12; s++) await h.advance(1_000);
    // At the upstream's per-job limit (1/s, 20 % jitter); the regular schedule (1, 1.5, 2.25, 3.4 s ...) makes 5.
    expect(polls(jobId(1))).toBeGreaterThanOrEqual(9);

    // The first job ends: the waiting file takes the slot, and nothing waits any more.
    h.fake.handle(acceptAll([jobId(2)], (id) => statusBody(id, id === jobId(1) ? 'Succeeded' : 'Running', 10)));
    await h.advance(1_500);
    await vi.waitFor(async () => expect((await snapshot(batchId)).jobs.map((j) => j.state)).toEqual(['Succeeded', 'Queued']));
    const before = polls(jobId(2));
    for (let s = 0; s < 12; s++) await h.advance(1_000);
    expect(polls(jobId(2)) - before).toBeLessThanOrEqual(6);
  });

  it('waits out a 429 queue.limit_exceeded with its Retry-After, then sends the same file once more', async () => {
    await start();
    h.fake.handle(answers.tooMany(12, 'queue.limit_exceeded'));
    const batchId = await createBatch();
    await upload(batchId, 'a.png', 'x');
    await vi.waitFor(async () => expect((await snapshot(batchId)).jobs[0].state).toBe('Waiting'));
    await vi.waitFor(() => expect(h.fake.requests).toHaveLength(1));
    h.fake.handle(acceptAll([jobId(5)]));
    await h.advance(11_000);
    expect(h.fake.requests).toHaveLength(1);
    await h.advance(1_500);
    await vi.waitFor(async () => expect((await snapshot(batchId)).jobs[0]).toMatchObject({ id: jobId(5), state: 'Queued' }));
    expect(h.fake.requests.filter((r) => r.method === 'POST')).toHaveLength(2);
  });

  it('marks a refused file Failed with the upstream error, never re-sends it by itself, and retries it on request', async () => {
    await start();
    h.fake.handle(answers.json(400, { error: 'convert.unsupported_format_pair', detail: 'png cannot be converted to xyz.' }));
    const batchId = await createBatch();
    const { job } = (await upload(batchId, 'a.png', 'x', 'targetFormat=xyz')).json<SubmitFileResponse>();
    await vi.waitFor(async () => expect((await snapshot(batchId)).jobs[0].state).toBe('Failed'));
    expect((await snapshot(batchId)).jobs[0]).toMatchObject({ id: job.id, problem: { status: 400, error: 'convert.unsupported_format_pair' } });
    await h.advance(120_000);
    expect(h.fake.requests).toHaveLength(1);

    h.fake.handle(acceptAll([jobId(9)]));
    expect(await retry(batchId, [job.id])).toEqual({ accepted: [job.id], refused: [] });
    await vi.waitFor(async () => expect((await snapshot(batchId)).jobs[0]).toMatchObject({ id: jobId(9), state: 'Queued' }));
    expect((await snapshot(batchId)).jobs[0].submission).toMatchObject({
      attempt: 2,
      history: [{ attempt: 1, jobId: null, outcome: 'Refused', error: 'convert.unsupported_format_pair' }],
    });
  });

  it('sends a failed job again from its source: the new job takes the row, which keeps its history', async () => {
    await start();
    const [first, second] = [jobId(1), jobId(2)];
    h.fake.handle(acceptAll([first], (id) => ({ ...statusBody(id, 'Failed'), error: { code: 'convert.invalid_input', detail: 'broken' } })));
    const pasted = jobId(40);
    const batchId = await createBatch('Retry', pasted);
    await upload(batchId, 'a.png', 'x');
    await vi.waitFor(async () => expect((await snapshot(batchId)).jobs[1].id).toBe(first));
    await h.advance(3_000);
    await vi.waitFor(async () => expect((await snapshot(batchId)).jobs[1].state).toBe('Failed'));

    h.fake.handle(acceptAll([second]));
    const answer = await retry(batchId, [first, pasted, 'nonsense']);
    expect(answer.accepted).toEqual([first]);
    expect(answer.refused).toEqual([
      { jobId: pasted, reason: expect.stringMatching(/not uploaded through the dashboard/) },
      { jobId: 'nonsense', reason: expect.stringMatching(/Not a job id/) },
    ]);
    await vi.waitFor(async () => expect((await snapshot(batchId)).jobs[1]).toMatchObject({ id: second, state: 'Queued' }));
    const row = (await snapshot(batchId)).jobs[1];
    expect(row.submission).toMatchObject({ attempt: 2, history: [{ attempt: 1, jobId: first, outcome: 'Failed', error: 'convert.invalid_input' }] });
    expect((await snapshot(batchId)).jobs.map((j) => j.id)).toEqual([pasted, second]);
    expect(h.service.tracker.isTracked(first)).toBe(false);
    // Still queued upstream: not sent again.
    expect((await retry(batchId, [second])).refused[0].reason).toMatch(/still queued or running/);
  });

  it('after a crash, a file that was being sent is In doubt and never sent again by itself; Send again or Dismiss', async () => {
    await start();
    h.fake.handle(() => {}); // never answers: the "crash" comes while the send is under way
    const batchId = await createBatch();
    const { job } = (await upload(batchId, 'a.png', 'x')).json<SubmitFileResponse>();
    const other = (await upload(batchId, 'b.png', 'y')).json<SubmitFileResponse>().job;
    await vi.waitFor(() => expect(h.fake.requests).toHaveLength(2));
    // What a kill -9 leaves: the rows as they were committed (the process is gone, nothing else runs).
    const rows = h.service.store.db.prepare('SELECT id, state FROM submissions ORDER BY seq').all();
    expect(rows).toEqual([{ id: job.id, state: 'sending' }, { id: other.id, state: 'sending' }]);
    // A stop cuts sends that get no answer: they stay `sending`, as after a kill -9.
    await h.stop();
    h.fake.handle(acceptAll([jobId(3)]));

    await h.restart();
    await vi.waitFor(async () => expect((await snapshot(batchId)).jobs.map((j) => j.state)).toEqual(['InDoubt', 'InDoubt']));
    const dismissed = await h.app.inject({ method: 'POST', url: `/api/batches/${batchId}/dismiss`, headers: json, payload: { ids: [other.id] } });
    expect(dismissed.json()).toEqual({ dismissed: [other.id] });
    expect((await snapshot(batchId)).jobs.map((j) => j.id)).toEqual([job.id]);
    expect(await spoolFiles()).toEqual([job.id]);
    expect(h.fake.requests).toHaveLength(2);
    expect((await retry(batchId, [job.id])).accepted).toEqual([job.id]);
    await vi.waitFor(async () => expect((await snapshot(batchId)).jobs[0]).toMatchObject({ id: jobId(3), state: 'Queued' }));
    expect((await snapshot(batchId)).jobs[0].submission).toMatchObject({ attempt: 2, history: [{ outcome: 'InDoubt' }] });
  });

  it('answers 507 past SPOOL_MAX_GB with a sentence, keeps nothing of the refused file, and loses nothing accepted', async () => {
    await start({ spoolMaxBytes: 1000 });
    h.fake.handle(() => {}); // the upstream holds on: files stay spooled
    const batchId = await createBatch();
    expect((await upload(batchId, 'a.png', 'x'.repeat(600))).statusCode).toBe(202);
    const refused = await upload(batchId, 'b.png', 'y'.repeat(600));
    expect(refused.statusCode).toBe(507);
    expect(refused.json()).toMatchObject({ error: 'spool.full', detail: expect.stringMatching(/at most 1 KB .* 1 KB are in use.*SPOOL_MAX_GB/) });
    expect((await spoolFiles()).length).toBe(1);
    expect((await snapshot(batchId)).jobs).toHaveLength(1);
  });

  // A real full disk: the spool folder on a 1 MB tmpfs (needs root, as CI runs; skipped where mount is refused).
  it.skipIf(!canMount)('answers 507 when the disk under the spool is full, keeps nothing of the refused file, and loses nothing accepted', async () => {
    await start();
    h.fake.handle(() => {}); // the upstream holds on: files stay spooled
    const spoolDir = join(h.dir, 'data', 'spool');
    expect(mountTmpfs(spoolDir, '1m')).toBe(true);
    try {
      const batchId = await createBatch();
      const kept = Buffer.alloc(400 * 1024, 1);
      expect((await upload(batchId, 'a.png', kept)).statusCode).toBe(202);
      const refused = await upload(batchId, 'b.png', Buffer.alloc(2 * 1024 * 1024, 2));
      expect(refused.statusCode).toBe(507);
      expect(refused.json()).toMatchObject({ error: 'spool.full', detail: expect.stringMatching(/disk holding the dashboard's data folder is full.*Free space/) });
      expect(refused.json().detail).not.toContain(h.dir);
      const files = await spoolFiles();
      expect(files).toHaveLength(1);
      expect(files[0]).not.toMatch(/\.part$/);
      const jobs = (await snapshot(batchId)).jobs;
      // The accepted file is still the batch's row (Sending: the upstream holds on to it).
      expect(jobs.map((job) => [job.fileName, job.state])).toEqual([['a.png', 'Sending']]);
    } finally {
      await h.stop();
      execFileSync('umount', [spoolDir]);
    }
  });

  it('refuses an upload without a target format, or an empty file, keeping nothing', async () => {
    await start();
    const batchId = await createBatch();
    const noTarget = await upload(batchId, 'a.png', 'x', 'x=1');
    expect(noTarget.statusCode).toBe(400);
    expect(noTarget.json().detail).toMatch(/targetFormat/);
    const empty = await upload(batchId, 'a.png', '');
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error).toBe('request.empty_file');
    expect(await spoolFiles()).toEqual([]);
    expect(h.fake.requests).toHaveLength(0);
  });

  it('keeps a file uploaded twice with the same uploadKey once: the repeat answers the first row as it is now', async () => {
    await start();
    const id = jobId(5);
    h.fake.handle(acceptAll([id, jobId(6), jobId(7)]));
    const a = await createBatch('A');
    const b = await createBatch('B');
    const key = 'k-0123456789abcdef';
    const first = await upload(a, 'one.png', 'first copy', `targetFormat=jpg&uploadKey=${key}`);
    expect(first.statusCode).toBe(202);
    const firstRow = first.json<SubmitFileResponse>().job;
    await vi.waitFor(async () => expect((await snapshot(a)).jobs[0]).toMatchObject({ id, state: 'Queued' }));

    // The answer was lost; the client sends the same file with the same key: the job, not a second row.
    const again = await upload(a, 'one.png', 'first copy', `targetFormat=jpg&uploadKey=${key}`);
    expect(again.statusCode).toBe(202);
    expect(again.json<SubmitFileResponse>().job).toMatchObject({ id, state: 'Queued', submission: { id: firstRow.id } });
    expect((await snapshot(a)).jobs.map((j) => j.id)).toEqual([id]);
    expect(await spoolFiles()).toEqual([firstRow.id]);
    expect(h.fake.requests.filter((r) => r.method === 'POST')).toHaveLength(1);

    // A key names a file within its batch; another batch, or no key, is another file.
    expect((await upload(b, 'one.png', 'first copy', `targetFormat=jpg&uploadKey=${key}`)).statusCode).toBe(202);
    expect((await upload(a, 'one.png', 'first copy')).statusCode).toBe(202);
    expect((await snapshot(a)).jobs).toHaveLength(2);
    expect((await snapshot(b)).jobs).toHaveLength(1);

    // Once the operator removed the row, the same key is a new upload.
    const removed = await h.app.inject({ method: 'POST', url: `/api/batches/${a}/remove`, headers: json, payload: { ids: [id] } });
    expect(removed.json()).toEqual({ removed: 1 });
    const anew = await upload(a, 'one.png', 'first copy', `targetFormat=jpg&uploadKey=${key}`);
    expect(anew.statusCode).toBe(202);
    expect(anew.json<SubmitFileResponse>().job.id).not.toBe(firstRow.id);

    const bad = await upload(a, 'one.png', 'x', 'targetFormat=jpg&uploadKey=no!');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: 'request.invalid_parameter', detail: expect.stringMatching(/uploadKey must be/) });
  });

  it('deletes a batch with its waiting files, and a source SOURCE_RETENTION_HOURS after its job succeeded', async () => {
    await start({ maxActive: 1, sourceRetentionMs: 3_600_000 });
    h.fake.handle(acceptAll([jobId(1)], (id) => statusBody(id, 'Succeeded')));
    const keep = await createBatch('Keep');
    await upload(keep, 'a.png', 'x');
    const drop = await createBatch('Drop');
    const waiting = (await upload(drop, 'b.png', 'y')).json<SubmitFileResponse>().job;
    await vi.waitFor(async () => expect((await snapshot(keep)).jobs[0].id).toBe(jobId(1)));
    expect(await spoolFiles()).toContain(waiting.id);
    await h.app.inject({ method: 'DELETE', url: `/api/batches/${drop}` });
    await vi.waitFor(async () => expect(await spoolFiles()).toHaveLength(1));

    await h.advance(3_000);
    await vi.waitFor(async () => expect((await snapshot(keep)).jobs[0].state).toBe('Succeeded'));
    await h.advance(3_500_000);
    expect(await spoolFiles()).toHaveLength(1);
    await h.advance(200_000);
    await vi.waitFor(async () => expect(await spoolFiles()).toEqual([]));
    expect((await snapshot(keep)).jobs[0].submission).toMatchObject({ sourceKept: false });
  });
});
