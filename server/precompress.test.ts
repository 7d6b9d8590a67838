// @vitest-environment node
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { precompressDir } from './precompress.ts';
import { startHarness, type Harness } from './testing/proxy-harness.ts';
import { rawRequest } from './testing/raw-request.ts';

let harness: Harness | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await harness?.close();
  harness = undefined;
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const SCRIPT = `console.log(${JSON.stringify('a batch of jobs '.repeat(400))});`;

async function builtDist(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dash-precompressed-'));
  dirs.push(dir);
  await mkdir(path.join(dir, 'assets'));
  await writeFile(path.join(dir, 'index.html'), '<!doctype html><div id="root"></div>');
  await writeFile(path.join(dir, 'assets', 'index-AbCd1234.js'), SCRIPT);
  await writeFile(path.join(dir, 'assets', 'logo-AbCd1234.png'), Buffer.alloc(4096, 1));
  await precompressDir(dir);
  return dir;
}

describe('precompressed static assets', () => {
  it('writes brotli and gzip copies of text assets only, which decompress to the original', async () => {
    const dir = await builtDist();
    const js = path.join(dir, 'assets', 'index-AbCd1234.js');
    expect(brotliDecompressSync(await readFile(`${js}.br`)).toString()).toBe(SCRIPT);
    expect(gunzipSync(await readFile(`${js}.gz`)).toString()).toBe(SCRIPT);
    await expect(readFile(path.join(dir, 'assets', 'logo-AbCd1234.png.br'))).rejects.toThrow(/ENOENT/);
    // Too small to gain anything.
    await expect(readFile(path.join(dir, 'index.html.br'))).rejects.toThrow(/ENOENT/);
  });

  it('serves the brotli copy to a browser that accepts it, gzip to one that does not, and the plain file otherwise', async () => {
    harness = await startHarness({ distDir: await builtDist() });
    const url = '/assets/index-AbCd1234.js';
    const br = await rawRequest(harness.base, url, { headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(br.status).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toMatch(/accept-encoding/i);
    expect(br.headers['cache-control']).toContain('immutable');
    expect(br.headers['content-type']).toMatch(/javascript/);
    const gz = await rawRequest(harness.base, url, { headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    const plain = await rawRequest(harness.base, url);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.text).toBe(SCRIPT);
  });
});
