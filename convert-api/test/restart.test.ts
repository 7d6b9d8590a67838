// @vitest-environment node
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobStatusResponse } from '../../contract/job.ts';
import { mediaConverters } from '../converters/media.ts';
import { resolveTools } from '../converters/tools.ts';
import { tempDir, waitFor } from './helpers.ts';
import { isAlive, processesMentioning, waitUntilGone } from './processes.ts';

const canEncodeMp3 = mediaConverters(await resolveTools()).some((c) => c.id === 'audio.flac-to-mp3');
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const KEY = 'restart-key';

interface Running {
  child: ChildProcess;
  base: string;
  exited: Promise<number | null>;
}

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) await fs.rm(dir, { recursive: true, force: true });
});

/** Starts the real `convert-api/main.ts` in one process (node --import tsx, so a SIGKILL leaves no child behind). */
async function startService(dataDir: string, env: Record<string, string> = {}): Promise<Running> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'convert-api/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      CONVERT_API_PORT: '0',
      CONVERT_API_KEYS: `${KEY}=restart`,
      CONVERT_API_DATA_DIR: dataDir,
      CONVERT_API_POLL_BURST: '100000',
      ...env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let output = '';
  const base = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /^listening on (http:\/\/127\.0\.0\.1:(\d+))$/m.exec(output);
      if (match && match[2] !== '0') resolve(match[1]);
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then((code) => reject(new Error(`service exited with ${code}: ${output}`)));
  });
  return { child, base, exited };
}

async function submitPng(base: string, name: string): Promise<string> {
  const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#3366cc' } }).png().toBuffer();
  return submitFile(base, name, png, 'jpg');
}

async function submitFile(base: string, name: string, bytes: Buffer, targetFormat: string): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(bytes)]), name);
  form.append('targetFormat', targetFormat);
  const res = await fetch(`${base}/convert`, { method: 'POST', body: form, headers: { 'x-fast-api-key': KEY } });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

async function status(base: string, id: string): Promise<JobStatusResponse> {
  const res = await fetch(`${base}/convert/job/${id}`, { headers: { 'x-fast-api-key': KEY } });
  return (await res.json()) as JobStatusResponse;
}

async function statuses(base: string, ids: string[]): Promise<string[]> {
  return Promise.all(ids.map(async (id) => (await status(base, id)).status));
}

describe('the service as a process', () => {
  it('prints the real port with port 0 and stops cleanly on SIGTERM', async () => {
    const dataDir = await tempDir();
    dirs.push(dataDir);
    const service = await startService(dataDir);
    const res = await fetch(`${service.base}/convert/conversions`, { headers: { 'x-fast-api-key': KEY } });
    expect(res.status).toBe(200);
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
  });

  it('exits with a clear message on an invalid setting', async () => {
    const dataDir = await tempDir();
    dirs.push(dataDir);
    await expect(startService(dataDir, { CONVERT_API_MAX_FILE_MB: 'lots' })).rejects.toThrow(/CONVERT_API_MAX_FILE_MB must be a whole number/);
  });

  it('refuses a second service on a data folder in use, saying which and what to do', async () => {
    const dataDir = await tempDir();
    dirs.push(dataDir);
    const first = await startService(dataDir);
    const second = startService(dataDir);
    await expect(second).rejects.toThrow(`Another Convert service is using the data folder ${dataDir}`);
    await expect(second).rejects.toThrow(/CONVERT_API_DATA_DIR/);
    await expect(second).rejects.not.toThrow(/\n\s+at /);
    const res = await fetch(`${first.base}/convert/conversions`, { headers: { 'x-fast-api-key': KEY } });
    expect(res.status).toBe(200);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    // The folder is free again once its holder has stopped.
    const third = await startService(dataDir);
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
  }, 60_000);

  it('waits for a previous service that is still stopping to let go of the folder, instead of refusing at once', async () => {
    const dataDir = await tempDir();
    dirs.push(dataDir);
    // Another process holds the folder's database for 5 s and then lets go, as a service that is stopping does.
    const holder = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `
      import { JobStore } from './convert-api/store.ts';
      const store = new JobStore(${JSON.stringify(path.join(dataDir, 'convert-api.sqlite'))});
      console.log('held');
      setTimeout(() => store.close(), 5000);
    `], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(holder);
    await new Promise((resolve) => holder.stdout.once('data', resolve));
    const service = await startService(dataDir);
    const res = await fetch(`${service.base}/convert/conversions`, { headers: { 'x-fast-api-key': KEY } });
    expect(res.status).toBe(200);
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
  }, 60_000);

  it('stops cleanly when its standard input ends, if CONVERT_API_STOP_WHEN_STDIN_ENDS is set, and not otherwise', async () => {
    const dataDir = await tempDir();
    dirs.push(dataDir);
    const plain = await startService(dataDir);
    plain.child.stdin!.end();
    const stillUp = await fetch(`${plain.base}/convert/conversions`, { headers: { 'x-fast-api-key': KEY } });
    expect(stillUp.status).toBe(200);
    plain.child.kill('SIGTERM');
    expect(await plain.exited).toBe(0);

    const tied = await startService(dataDir, { CONVERT_API_STOP_WHEN_STDIN_ENDS: '1' });
    tied.child.stdin!.end();
    expect(await tied.exited).toBe(0);
  });

  it.runIf(canEncodeMp3)('keeps its running tools on record, so that the start after a kill -9 stops what is left and runs the job again', async () => {
    const dataDir = await tempDir();
    dirs.push(dataDir);
    // Twenty minutes of silence: a small FLAC, quick to make, that takes far longer than this test to encode.
    const source = path.join(dataDir, 'long.flac');
    await promisify(execFile)('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'anullsrc=r=48000:cl=stereo:nb_samples=48000', '-t', '1200',
      '-c:a', 'flac', '-compression_level', '0', '-y', source]);
    const env = { CONVERT_API_WORKERS: '1' };
    const first = await startService(dataDir, env);
    const id = await submitFile(first.base, 'long.flac', await fs.readFile(source), 'mp3');
    const upload = path.join(dataDir, 'uploads', id);
    const before = await waitFor(async () => {
      const found = await processesMentioning(upload);
      return found.some((p) => p.cmdline.includes('-progress')) ? found : null;
    });
    const onRecord = JSON.parse(await fs.readFile(path.join(dataDir, 'process-groups.json'), 'utf8')) as { groups: { pgid: number }[] };
    expect(onRecord.groups.map((g) => g.pgid)).toEqual(before.filter((p) => p.cmdline.includes('-progress')).map((p) => p.pid));
    first.child.kill('SIGKILL');
    await first.exited;
    // Nothing stops them at once: they run on, detached, without the service (a chatty tool dies of the broken
    // pipe when it next writes; a quiet one, like soffice, would run to its end).
    for (const { pid } of before) expect(await isAlive(pid)).toBe(true);

    const second = await startService(dataDir, env);
    await waitUntilGone(before.map((p) => p.pid));
    // The job is the second service's now: it runs again from the start, with a new ffmpeg.
    const again = await waitFor(async () => (await processesMentioning(upload)).find((p) => p.cmdline.includes('-progress')));
    expect(before.map((p) => p.pid)).not.toContain(again.pid);
    expect((await status(second.base, id)).status).toBe('Running');
    const cancel = await fetch(`${second.base}/convert/job/${id}/cancel`, { method: 'POST', headers: { 'x-fast-api-key': KEY } });
    expect(cancel.status).toBe(202);
    await waitUntilGone([again.pid]);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 90_000);

  it('survives kill -9 with jobs succeeded, running and queued: all finish and no orphan file remains', async () => {
    const dataDir = await tempDir();
    dirs.push(dataDir);
    // Two run at a time for at least 3 s each, and all five are sent at once: for 3 s after the first two finish,
    // two have succeeded, two are running and one is queued, however slow the machine is.
    const env = { CONVERT_API_MIN_JOB_MS: '3000', CONVERT_API_MAX_RUNNING_PER_ACCOUNT: '2', CONVERT_API_WORKERS: '2' };
    const first = await startService(dataDir, env);
    const ids = await Promise.all([1, 2, 3, 4, 5].map((i) => submitPng(first.base, `photo-${i}.png`)));
    await waitFor(async () => {
      const seen = new Set(await statuses(first.base, ids));
      return seen.has('Succeeded') && seen.has('Running') && seen.has('Queued');
    }, 20_000);
    first.child.kill('SIGKILL');
    await first.exited;

    const second = await startService(dataDir, env);
    await waitFor(async () => (await statuses(second.base, ids)).every((s) => s === 'Succeeded'), 30_000);
    for (const id of ids) {
      const body = await status(second.base, id);
      expect(body.output?.fileName).toMatch(/^photo-\d\.jpg$/);
      const res = await fetch(`${second.base}/convert/job/${id}/download`, { headers: { 'x-fast-api-key': KEY } });
      expect(res.status).toBe(200);
      expect((await sharp(Buffer.from(await res.arrayBuffer())).metadata()).format).toBe('jpeg');
    }
    expect(await fs.readdir(path.join(dataDir, 'uploads'))).toEqual([]);
    expect(await fs.readdir(path.join(dataDir, 'incoming'))).toEqual([]);
    expect(await fs.readdir(path.join(dataDir, 'work'))).toEqual([]);
    expect((await fs.readdir(path.join(dataDir, 'outputs'))).sort()).toEqual([...ids].sort());
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 90_000);
});
