import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import { Font } from 'fonteditor-core';
import * as wawoff2 from 'wawoff2';
import { invalidInput, label } from './sniff.ts';
import { ConversionError, type ConvertContext, type Converter } from './types.ts';
import { pairConverter } from './pair.ts';

const FONT_FORMATS = ['ttf', 'otf', 'woff', 'woff2'] as const;
type FontFormat = (typeof FONT_FORMATS)[number];

const MIME: Record<FontFormat, string> = { ttf: 'font/ttf', otf: 'font/otf', woff: 'font/woff', woff2: 'font/woff2' };

/** No real font comes near this; it bounds what a hostile WOFF may ask us to inflate. */
const MAX_SFNT_BYTES = 64 * 1024 * 1024;

const TRUETYPE = 0x00010000;
const OTTO = 0x4f54544f; // 'OTTO': CFF outlines
const TRUE = 0x74727565; // 'true': old Apple TrueType

interface TableRecord {
  tag: number;
  checksum: number;
  data: Buffer;
}

interface Sfnt {
  flavor: number;
  tables: TableRecord[];
}

/** Parses an sfnt (TTF/OTF) table directory, checking every table lies inside the file. */
export function parseSfnt(buf: Buffer, what: string): Sfnt {
  if (buf.length < 12) throw invalidInput(`The file is too short to be a ${what} font.`);
  const flavor = buf.readUInt32BE(0);
  if (flavor !== TRUETYPE && flavor !== OTTO && flavor !== TRUE) {
    throw invalidInput(`The file is not a ${what} font: it does not start with an OpenType signature.`);
  }
  const numTables = buf.readUInt16BE(4);
  if (numTables === 0 || buf.length < 12 + numTables * 16) throw invalidInput(`The ${what} font has a damaged table directory.`);
  const tables: TableRecord[] = [];
  for (let i = 0; i < numTables; i++) {
    const at = 12 + i * 16;
    const offset = buf.readUInt32BE(at + 8);
    const length = buf.readUInt32BE(at + 12);
    if (offset + length > buf.length) throw invalidInput(`The ${what} font is truncated: a table lies beyond the end of the file.`);
    tables.push({ tag: buf.readUInt32BE(at), checksum: buf.readUInt32BE(at + 4), data: buf.subarray(offset, offset + length) });
  }
  const tags = new Set(tables.map((t) => t.tag));
  for (const required of ['head', 'cmap', 'maxp']) {
    if (!tags.has(Buffer.from(required, 'latin1').readUInt32BE(0))) throw invalidInput(`The ${what} font has no ${required} table.`);
  }
  return { flavor, tables };
}

const align4 = (n: number) => (n + 3) & ~3;

/** Writes an sfnt with its tables in tag order, 4-byte aligned, keeping the original checksums. */
export function buildSfnt(sfnt: Sfnt): Buffer {
  const tables = [...sfnt.tables].sort((a, b) => a.tag - b.tag);
  const n = tables.length;
  const entrySelector = Math.floor(Math.log2(n));
  const searchRange = 2 ** entrySelector * 16;
  let offset = 12 + n * 16;
  const size = offset + tables.reduce((sum, t) => sum + align4(t.data.length), 0);
  const out = Buffer.alloc(size);
  out.writeUInt32BE(sfnt.flavor, 0);
  out.writeUInt16BE(n, 4);
  out.writeUInt16BE(searchRange, 6);
  out.writeUInt16BE(entrySelector, 8);
  out.writeUInt16BE(n * 16 - searchRange, 10);
  tables.forEach((t, i) => {
    const at = 12 + i * 16;
    out.writeUInt32BE(t.tag, at);
    out.writeUInt32BE(t.checksum, at + 4);
    out.writeUInt32BE(offset, at + 8);
    out.writeUInt32BE(t.data.length, at + 12);
    t.data.copy(out, offset);
    offset += align4(t.data.length);
  });
  return out;
}

/**
 * WOFF 1.0 (W3C) is an sfnt whose tables are zlib-compressed one by one. Writing it here keeps every table
 * (fonteditor-core's writer rebuilds the font and drops layout tables such as GSUB).
 */
export function encodeWoff(sfnt: Sfnt): Buffer {
  const tables = [...sfnt.tables].sort((a, b) => a.tag - b.tag);
  const n = tables.length;
  const packed = tables.map((t) => {
    const z = deflateSync(t.data, { level: 9 });
    return { ...t, stored: z.length < t.data.length ? z : t.data };
  });
  let offset = 44 + n * 20;
  const size = offset + packed.reduce((sum, t) => sum + align4(t.stored.length), 0);
  const out = Buffer.alloc(size);
  out.write('wOFF', 0, 'latin1');
  out.writeUInt32BE(sfnt.flavor, 4);
  out.writeUInt32BE(size, 8);
  out.writeUInt16BE(n, 12);
  out.writeUInt32BE(12 + n * 16 + tables.reduce((sum, t) => sum + align4(t.data.length), 0), 16);
  out.writeUInt16BE(1, 20); // version 1.0 of the font data
  packed.forEach((t, i) => {
    const at = 44 + i * 20;
    out.writeUInt32BE(t.tag, at);
    out.writeUInt32BE(offset, at + 4);
    out.writeUInt32BE(t.stored.length, at + 8);
    out.writeUInt32BE(t.data.length, at + 12);
    out.writeUInt32BE(t.checksum, at + 16);
    t.stored.copy(out, offset);
    offset += align4(t.stored.length);
  });
  return out;
}

export function decodeWoff(buf: Buffer): Sfnt {
  if (buf.length < 44 || buf.toString('latin1', 0, 4) !== 'wOFF') throw invalidInput('The file is not a WOFF font: it has no wOFF signature.');
  const flavor = buf.readUInt32BE(4);
  const numTables = buf.readUInt16BE(12);
  if (numTables === 0 || buf.length < 44 + numTables * 20) throw invalidInput('The WOFF font has a damaged table directory.');
  if (buf.readUInt32BE(16) > MAX_SFNT_BYTES) throw invalidInput('The WOFF font claims an impossibly large size.');
  const tables: TableRecord[] = [];
  for (let i = 0; i < numTables; i++) {
    const at = 44 + i * 20;
    const offset = buf.readUInt32BE(at + 4);
    const compLength = buf.readUInt32BE(at + 8);
    const origLength = buf.readUInt32BE(at + 12);
    if (offset + compLength > buf.length || compLength > origLength) throw invalidInput('The WOFF font is truncated or damaged.');
    const stored = buf.subarray(offset, offset + compLength);
    let data: Buffer;
    try {
      data = compLength < origLength ? inflateSync(stored, { maxOutputLength: origLength }) : stored;
    } catch {
      throw invalidInput('The WOFF font has a table that does not decompress.');
    }
    if (data.length !== origLength) throw invalidInput('The WOFF font has a table of the wrong size.');
    tables.push({ tag: buf.readUInt32BE(at), checksum: buf.readUInt32BE(at + 16), data });
  }
  // Re-parse the rebuilt font so the same checks apply as for a TTF.
  return parseSfnt(buildSfnt({ flavor, tables }), 'WOFF');
}

async function readSfnt(inputPath: string, source: FontFormat): Promise<Sfnt> {
  const buf = await readFile(inputPath);
  switch (source) {
    case 'ttf':
    case 'otf':
      return parseSfnt(buf, label(source));
    case 'woff':
      return decodeWoff(buf);
    case 'woff2': {
      if (buf.toString('latin1', 0, 4) !== 'wOF2') throw invalidInput('The file is not a WOFF2 font: it has no wOF2 signature.');
      let sfnt: Uint8Array;
      try {
        sfnt = await wawoff2.decompress(buf);
      } catch {
        throw invalidInput('The WOFF2 font is damaged and could not be decompressed.');
      }
      return parseSfnt(Buffer.from(sfnt), 'WOFF2');
    }
  }
}

async function writeTarget(sfnt: Sfnt, source: FontFormat, target: FontFormat): Promise<Buffer> {
  switch (target) {
    case 'woff':
      return encodeWoff(sfnt);
    case 'woff2':
      try {
        return Buffer.from(await wawoff2.compress(buildSfnt(sfnt)));
      } catch {
        throw invalidInput(`The ${label(source)} font could not be compressed to WOFF2: its tables are inconsistent.`);
      }
    case 'otf':
      if (sfnt.flavor !== OTTO) throw invalidInput('This font has TrueType outlines, not CFF: convert it to TTF instead of OTF.');
      return buildSfnt(sfnt);
    case 'ttf':
      if (sfnt.flavor !== OTTO) return buildSfnt(sfnt);
      try {
        // CFF (cubic) outlines have to be redrawn as TrueType (quadratic) ones; fonteditor-core does that.
        const ttf = Font.create(buildSfnt(sfnt), { type: 'otf', hinting: true, kerning: true, compound2simple: false }).write({
          type: 'ttf',
          hinting: true,
          kerning: true,
          toBuffer: true,
        });
        return Buffer.from(ttf);
      } catch {
        throw invalidInput('The CFF outlines of this font could not be converted to TrueType.');
      }
  }
}

async function convertFont(ctx: ConvertContext, source: FontFormat, target: FontFormat): Promise<string[]> {
  ctx.onProgress(5, 'reading');
  const sfnt = await readSfnt(ctx.inputPath, source);
  ctx.signal.throwIfAborted();
  ctx.onProgress(30, 'converting');
  const data = await writeTarget(sfnt, source, target);
  ctx.signal.throwIfAborted();
  // fonteditor-core and the WASM codec have both been seen to "succeed" with nothing; never pass that on.
  if (data.length === 0) throw new ConversionError('convert.failed', `The ${label(target)} encoder produced an empty file.`);
  const outputPath = path.join(ctx.outputDir, `output.${target}`);
  await writeFile(outputPath, data);
  if ((await stat(outputPath)).size !== data.length) throw new ConversionError('convert.failed', 'The font could not be written.');
  return [outputPath];
}

export function fontConverters(): Converter[] {
  const converters: Converter[] = [];
  for (const source of FONT_FORMATS) {
    for (const target of FONT_FORMATS) {
      // TrueType outlines cannot be turned into CFF by the libraries here, so there is no ttf → otf.
      if (source === target || (source === 'ttf' && target === 'otf')) continue;
      converters.push(
        pairConverter({
          word: 'font', category: 'Fonts', source, target, contentType: MIME[target],
          convert: (ctx) => convertFont(ctx, source, target),
        }),
      );
    }
  }
  return converters;
}
