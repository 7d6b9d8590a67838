// @vitest-environment node
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { Font } from 'fonteditor-core';
import * as wawoff2 from 'wawoff2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWoff, parseSfnt } from './font.ts';
import { listDir, removeTempDirs, runConverter, sample, tempDir } from './test-utils.ts';

let dir: string;
beforeAll(async () => {
  dir = await tempDir();
});
afterAll(removeTempDirs);

const tableCount = (buf: Buffer) => parseSfnt(buf, 'test').tables.length;

describe('font converters', () => {
  it('compresses the sample TTF to a WOFF2 that decompresses to the same tables', async () => {
    const out = await runConverter('font.ttf-to-woff2', sample('dejavu-sans-subset.ttf'));
    const woff2 = await readFile(out.files[0]);
    const original = await readFile(sample('dejavu-sans-subset.ttf'));
    expect(woff2.toString('latin1', 0, 4)).toBe('wOF2');
    expect(woff2.length).toBeGreaterThan(0);
    expect(woff2.length).toBeLessThan(original.length);
    const back = Buffer.from(await wawoff2.decompress(woff2));
    expect(parseSfnt(back, 'round trip').tables).toHaveLength(parseSfnt(original, 'original').tables.length);
  });

  it('writes a compressed WOFF that keeps every table byte for byte, and reads back as a font', async () => {
    const out = await runConverter('font.ttf-to-woff', sample('dejavu-sans-subset.ttf'));
    const woff = await readFile(out.files[0]);
    const original = await readFile(sample('dejavu-sans-subset.ttf'));
    expect(woff.toString('latin1', 0, 4)).toBe('wOFF');
    expect(woff.length).toBeLessThan(original.length * 0.8);
    const decoded = decodeWoff(woff);
    const source = parseSfnt(original, 'original');
    expect(decoded.tables.map((t) => t.data.toString('hex'))).toEqual(
      [...source.tables].sort((a, b) => a.tag - b.tag).map((t) => t.data.toString('hex')),
    );
    // an independent reader agrees
    const font = Font.create(woff, { type: 'woff', inflate: (d) => Array.from(inflateSync(Buffer.from(d))) });
    expect(font.get().glyf.length).toBeGreaterThan(90);
  });

  it('turns WOFF and WOFF2 back into a TTF with the original glyphs', async () => {
    const woff2 = await runConverter('font.ttf-to-woff2', sample('dejavu-sans-subset.ttf'));
    const ttf = await runConverter('font.woff2-to-ttf', woff2.files[0]);
    const woff = await runConverter('font.woff2-to-woff', woff2.files[0]);
    const ttf2 = await runConverter('font.woff-to-ttf', woff.files[0]);
    for (const file of [ttf.files[0], ttf2.files[0]]) {
      const buf = await readFile(file);
      expect(tableCount(buf)).toBeGreaterThan(5);
      expect(Font.create(buf, { type: 'ttf' }).get().glyf.length).toBeGreaterThan(90);
    }
  });

  it('refuses to call TrueType outlines OTF', async () => {
    const woff = await runConverter('font.ttf-to-woff', sample('dejavu-sans-subset.ttf'));
    await expect(runConverter('font.woff-to-otf', woff.files[0])).rejects.toMatchObject({ code: 'convert.invalid_input' });
  });

  it('refuses non-fonts, truncated fonts and mismatched signatures as invalid input, writing nothing', async () => {
    const original = await readFile(sample('dejavu-sans-subset.ttf'));
    const truncated = path.join(dir, 'truncated.ttf');
    await writeFile(truncated, original.subarray(0, 2000));
    const text = path.join(dir, 'text.woff2');
    await writeFile(text, 'wOF2 pretending to be a font but only text');
    for (const [id, file] of [
      ['font.ttf-to-woff2', sample('photo-harbor.png')],
      ['font.ttf-to-woff', truncated],
      ['font.woff2-to-ttf', text],
      ['font.woff-to-ttf', sample('dejavu-sans-subset.ttf')],
    ] as const) {
      const outputDir = await tempDir('conv-out-');
      await expect(runConverter(id, file, {}, { outputDir }), `${id} ${file}`).rejects.toMatchObject({ code: 'convert.invalid_input' });
      expect(await listDir(outputDir)).toEqual([]);
    }
  });
});
