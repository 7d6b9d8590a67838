// @vitest-environment node
import { createWriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar';
import yazl from 'yazl';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ARCHIVE_LIMITS } from './archive.ts';
import { listDir, removeTempDirs, runConverter, sample, tempDir } from './test-utils.ts';
import { listZipEntries } from './zip-entries.ts';

let dir: string;
const savedLimits = { ...ARCHIVE_LIMITS };
beforeAll(async () => {
  dir = await tempDir();
});
afterEach(() => Object.assign(ARCHIVE_LIMITS, savedLimits));
afterAll(removeTempDirs);

async function tarEntries(file: string): Promise<string[]> {
  const names: string[] = [];
  await tar.t({ file, onReadEntry: (e) => names.push(e.path) });
  return names;
}

/** A tar whose header names are written raw, so that hostile paths survive (node-tar would clean them). */
function rawTar(entries: { name: string; body: string; type?: string; link?: string }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const h = new tar.Header({ path: 'x', mode: 0o644, size: e.type ? 0 : e.body.length, mtime: new Date(0), type: (e.type ?? 'File') as 'File', linkpath: e.link });
    const block = Buffer.alloc(512);
    h.encode(block, 0);
    block.fill(0, 0, 100);
    block.write(e.name, 0, 'utf8');
    // recompute the checksum for the new name
    block.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of block) sum += b;
    block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
    blocks.push(block);
    if (!e.type) {
      const body = Buffer.alloc(Math.ceil(e.body.length / 512) * 512);
      body.write(e.body);
      blocks.push(body);
    }
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

describe('archive converters', () => {
  it('repacks the sample ZIP as tar.gz and tar with the same files', async () => {
    const gz = await runConverter('archive.zip-to-tar.gz', sample('bundle.zip'));
    const plain = await runConverter('archive.zip-to-tar', sample('bundle.zip'));
    const expected = ['bundle/', 'bundle/images/', 'bundle/images/badge.svg', 'bundle/notes.md'];
    expect((await tarEntries(gz.files[0])).sort()).toEqual(expected);
    expect((await tarEntries(plain.files[0])).sort()).toEqual(expected);
    expect((await readFile(gz.files[0]))[0]).toBe(0x1f);
  });

  it('repacks tar.gz as ZIP with identical contents', async () => {
    const gz = await runConverter('archive.zip-to-tar.gz', sample('bundle.zip'));
    const zip = await runConverter('archive.tar.gz-to-zip', gz.files[0]);
    const entries = await listZipEntries(zip.files[0]);
    const notes = entries.find((e) => e.name === 'bundle/notes.md');
    expect(notes?.uncompressedSize).toBe((await readFile(sample('notes.md'))).length);
    expect(entries.map((e) => e.name)).toContain('bundle/images/badge.svg');
  });

  it('refuses a tar with a path that climbs out of the extraction folder, and writes nothing', async () => {
    const evil = path.join(dir, 'evil.tar');
    await writeFile(evil, rawTar([{ name: 'ok.txt', body: 'fine' }, { name: '../../escaped.txt', body: 'gotcha' }]));
    const outputDir = await tempDir('conv-out-');
    const err = await runConverter('archive.tar-to-zip', evil, {}, { outputDir }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'convert.invalid_input' });
    expect((err as Error).message).toMatch(/unsafe path/);
    expect(await listDir(outputDir)).toEqual([]);
  });

  it('drops symbolic links instead of carrying them into the new archive', async () => {
    const linked = path.join(dir, 'linked.tar');
    await writeFile(linked, rawTar([{ name: 'real.txt', body: 'data' }, { name: 'passwd', body: '', type: 'SymbolicLink', link: '/etc/passwd' }]));
    const out = await runConverter('archive.tar-to-zip', linked);
    expect((await listZipEntries(out.files[0])).map((e) => e.name)).toEqual(['real.txt']);
  });

  it('refuses an archive that expands past the size cap (a zip bomb)', async () => {
    ARCHIVE_LIMITS.maxTotalBytes = 1024 * 1024;
    const bomb = path.join(dir, 'bomb.zip');
    const zip = new yazl.ZipFile();
    zip.addBuffer(Buffer.alloc(3 * 1024 * 1024), 'zeros.bin');
    zip.end();
    await new Promise<void>((resolve) => zip.outputStream.pipe(createWriteStream(bomb)).on('close', () => resolve()));
    const err = await runConverter('archive.zip-to-tar', bomb).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'convert.invalid_input' });
    expect((err as Error).message).toMatch(/expands to more than 1 MB/);
  });

  it('converts empty archives to empty archives', async () => {
    const emptyTar = path.join(dir, 'empty.tar');
    await writeFile(emptyTar, Buffer.alloc(10240));
    const zip = await runConverter('archive.tar-to-zip', emptyTar);
    const gz = await runConverter('archive.zip-to-tar.gz', zip.files[0]);
    expect(await listZipEntries(zip.files[0])).toEqual([]);
    expect(await tarEntries(gz.files[0])).toEqual([]);
  });

  it('stops reading a tar.gz whose stream inflates past the cap even without entries', async () => {
    ARCHIVE_LIMITS.maxTotalBytes = 1024 * 1024;
    const zeros = path.join(dir, 'zeros.tar.gz');
    await writeFile(zeros, gzipSync(Buffer.alloc(8 * 1024 * 1024)));
    await expect(runConverter('archive.tar.gz-to-zip', zeros)).rejects.toMatchObject({ code: 'convert.invalid_input' });
  });

  it('refuses content that is not the archive its extension says', async () => {
    const text = path.join(dir, 'text.tar.gz');
    await writeFile(text, 'no gzip here');
    const badGzip = path.join(dir, 'bad.tar.gz');
    await writeFile(badGzip, Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.from('corrupt stream of bytes')]));
    for (const [id, file] of [
      ['archive.zip-to-tar', sample('notes.md')],
      ['archive.tar.gz-to-zip', text],
      ['archive.tar.gz-to-zip', badGzip],
      ['archive.tar-to-zip', sample('bundle.zip')],
    ] as const) {
      await expect(runConverter(id, file), `${id} ${file}`).rejects.toMatchObject({ code: 'convert.invalid_input' });
    }
  });
});
