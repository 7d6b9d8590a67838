// @vitest-environment node
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobStatusResponse } from '../../contract/job.ts';
import { mediaConverters } from '../converters/media.ts';
import { resolveTools } from '../converters/tools.ts';
import { isAlive, processesMentioning } from './processes.ts';
import { KEY_A, fakeConverters, getStatus, startApi, stopApi, submit, submitOk, waitFor, waitForStatus, type TestApi } from './helpers.ts';

const media = mediaConverters(await resolveTools());
const LIMIT_S = 10;

let api: TestApi;
beforeAll(async () => {
  // 10 s: the limit counts from the job's start, and on a machine busy with the whole suite ffprobe and the start of
  // ffmpeg have taken several seconds; a limit that fires before ffmpeg runs cannot show ffmpeg killed.
  // One worker, so the next job can only run once the timed-out one has given its worker back.
  api = await startApi({ converters: [...media, ...fakeConverters()], workers: 1, jobTimeoutSeconds: LIMIT_S });
});
afterAll(async () => {
  await stopApi(api);
});

describe('a wedged or too long ffmpeg run', () => {
  it('is stopped at the job limit: ffmpeg killed, the job Failed with the documented error, the next job run', async () => {
    // Two hours of silence: a small FLAC (5 MB), quick to make, that takes several times the limit to encode to MP3
    // (about 200× real time on one core here: 36 s).
    const source = path.join(api.dataDir, 'long.flac');
    await promisify(execFile)('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'anullsrc=r=48000:cl=stereo:nb_samples=48000', '-t', '7200',
      '-c:a', 'flac', '-compression_level', '0', '-y', source]);
    const res = await submit(api, 'long.flac', await fs.readFile(source), 'mp3');
    await fs.rm(source);
    expect(res.statusCode, res.body).toBe(202);
    const id = res.json().id as string;
    const next = await submitOk(api, 'after the long one', 'next.txt');

    const upload = path.join(api.dataDir, 'uploads', id);
    // ffprobe comes first; wait for the encoding ffmpeg itself (the one writing -progress).
    const ffmpeg = await waitFor(async () => (await processesMentioning(upload)).find((p) => p.cmdline.includes('-progress')), 20_000)
      .catch(async (error: unknown) => {
        throw new Error(`no encoding ffmpeg seen; the job is ${(await getStatus(api, id)).body}`, { cause: error });
      });
    expect((await getStatus(api, id)).json().status).toBe('Running');
    expect((await getStatus(api, next)).json().status).toBe('Queued');

    // Failed 10 s after it started; the margin is for a machine busy with the rest of the suite.
    // Two hours of audio take far longer than that to encode, so a limit that did not fire still fails here.
    let last: JobStatusResponse | null = null;
    const failed = await waitFor(async () => {
      last = (await getStatus(api, id)).json<JobStatusResponse>();
      return last.status === 'Failed' ? last : null;
    }, 40_000).catch((error: unknown) => {
      throw new Error(`not Failed 40 s after ffmpeg started: ${JSON.stringify(last)}; ffmpeg alive: ${existsSync(`/proc/${ffmpeg.pid}`)}`, { cause: error });
    });
    expect(failed).toMatchObject({
      error: { code: 'convert.failed', detail: `The conversion took longer than ${LIMIT_S} s and was stopped.` },
      output: null,
      progress: { phase: null },
      metrics: { creditCost: 0 },
    });
    await waitFor(async () => !(await isAlive(ffmpeg.pid)), 5000);
    expect(await processesMentioning(upload)).toEqual([]);

    await waitForStatus(api, next, 'Succeeded');
    // The timed-out job's files go once its ffmpeg is gone, a moment after it is Failed.
    const empty = async (dir: string) => (await fs.readdir(path.join(api.dataDir, dir))).length === 0;
    await waitFor(async () => (await empty('uploads')) && (await empty('work')), 5000);
    expect(await fs.readdir(path.join(api.dataDir, 'uploads'))).toEqual([]);
    expect(await fs.readdir(path.join(api.dataDir, 'work'))).toEqual([]);
    expect(await fs.readdir(path.join(api.dataDir, 'outputs'))).toEqual([next]);
    expect((await api.app.inject({ method: 'GET', url: `/convert/job/${id}/download`, headers: { 'x-fast-api-key': KEY_A } })).statusCode).toBe(409);
  }, 120_000);
});
