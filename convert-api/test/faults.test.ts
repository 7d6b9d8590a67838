// @vitest-environment node
import fs from 'node:fs';
import { symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { deflateSync } from 'node:zlib';
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import { buffer as readAll } from 'node:stream/consumers';
import yauzl from 'yauzl';
import type Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { JobStatusResponse } from '../../contract/job.ts';
import { loadConverters } from '../converters/registry.ts';
import type { Converter } from '../converters/types.ts';
import { KEY_A, getStatus, startApi, stopApi, submit, type TestApi } from './helpers.ts';

const SAMPLES = path.resolve(import.meta.dirname, '../../samples');
// Loaded before the tests are collected: a conversion whose tool is missing here is skipped, not failed.
const converters: Converter[] = await loadConverters();
const has = (id: string) => converters.some((c) => c.id === id);

let api: TestApi | null = null;
afterEach(async () => {
  vi.restoreAllMocks();
  if (api) await stopApi(api);
  api = null;
});

async function submitFile(fileName: string, content: Buffer, target: string): Promise<string> {
  const res = await submit(api!, fileName, content, target, KEY_A);
  expect(res.statusCode, res.body).toBe(202);
  return res.json<{ id: string }>().id;
}

async function finished(id: string, onPoll?: () => void): Promise<JobStatusResponse> {
  return vi.waitFor(
    async () => {
      onPoll?.();
      const body = (await getStatus(api!, id)).json<JobStatusResponse>();
      if (body.status === 'Queued' || body.status === 'Running') throw new Error(`still ${body.status}`);
      return body;
    },
    { timeout: 60_000, interval: 20 },
  );
}

function unzip(buffer: Buffer): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buffer, { lazyEntries: true }, (error, zip) => {
      if (error) return reject(error);
      const entries: Buffer[] = [];
      zip.on('end', () => resolve(entries));
      zip.on('entry', (entry: yauzl.Entry) =>
        zip.openReadStream(entry, (err, stream) => {
          if (err) return reject(err);
          readAll(stream).then((data) => {
            entries.push(data);
            zip.readEntry();
          }, reject);
        }),
      );
      zip.readEntry();
    });
  });
}

/** A PNG chunk: length, type, data, CRC. */
function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function crc32(data: Buffer): number {
  let crc = ~0;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

/**
 * A valid black PNG of width × height pixels, 1 bit a pixel: 16,000 × 16,000 px (256 megapixels, which sharp
 * would decode to 256 MB and more) compresses to about 30 KB.
 */
function hugePng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.writeUInt8(1, 8); // bit depth
  ihdr.writeUInt8(0, 9); // greyscale
  const rows = Buffer.alloc((1 + Math.ceil(width / 8)) * height);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A one-page PDF whose page is size × size points (4,000 pt renders at the 4,000 px cap: 48 MB of pixels). */
async function posterPdf(size: number): Promise<Buffer> {
  const doc = await PDFDocument.create();
  doc.addPage([size, size]).drawText('poster', { x: 100, y: 100, size: 200 });
  return Buffer.from(await doc.save());
}

describe('fault 3: memory bombs', () => {
  it.skipIf(!has('image.png-to-jpg'))(
    'a 16,000 × 16,000 px PNG is refused quickly with a sentence that gives the limit, and the service stays small',
    async () => {
      api = await startApi({ converters, workers: 1 });
      const png = hugePng(16_000, 16_000);
      expect(png.length).toBeLessThan(250 * 1024);
      const before = process.memoryUsage().rss;
      let peak = before;
      const id = await submitFile('bomb.png', png, 'jpg');
      const status = await finished(id, () => {
        peak = Math.max(peak, process.memoryUsage().rss);
      });
      expect(status.status).toBe('Failed');
      expect(status.error).toEqual({
        code: 'convert.invalid_input',
        detail: 'The PNG image is too large: 16000 × 16000 pixels (256 megapixels); this server converts images of at most 100 megapixels.',
      });
      // Refused from its header: nothing near the 256 MB of decoded pixels was ever allocated.
      expect(peak - before).toBeLessThan(128 * 1024 * 1024);
    },
  );

  it.skipIf(!has('image.png-to-jpg'))('the pixel limit is configurable', async () => {
    api = await startApi({ converters, workers: 1, maxPixels: 1_000_000 });
    const id = await submitFile('wide.png', hugePng(2000, 600), 'jpg');
    expect((await finished(id)).error?.detail).toBe(
      'The PNG image is too large: 2000 × 600 pixels (1.2 megapixels); this server converts images of at most 1 megapixels.',
    );
    const small = await submitFile('small.png', hugePng(1000, 1000), 'jpg');
    expect((await finished(small)).status).toBe('Succeeded');
  });

  it.skipIf(!has('image.bmp-to-png') || !has('image.svg-to-png'))(
    'a BMP or SVG that claims 16,000 × 16,000 px is refused from its header, before anything decodes it',
    async () => {
      api = await startApi({ converters, workers: 2 });
      const bmp = Buffer.alloc(54 + 1024);
      bmp.write('BM', 0, 'latin1');
      bmp.writeUInt32LE(bmp.length, 2);
      bmp.writeUInt32LE(54, 10); // pixel data offset
      bmp.writeUInt32LE(40, 14); // BITMAPINFOHEADER
      bmp.writeInt32LE(16_000, 18);
      bmp.writeInt32LE(-16_000, 22); // top-down
      bmp.writeUInt16LE(1, 26);
      bmp.writeUInt16LE(24, 28);
      const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="16000" height="16000"><rect width="10" height="10"/></svg>');
      const ids = [await submitFile('claims.bmp', bmp, 'png'), await submitFile('claims.svg', svg, 'png')];
      const details = await Promise.all(ids.map(async (id) => (await finished(id)).error?.detail));
      expect(details).toEqual(['BMP', 'SVG'].map(
        (format) => `The ${format} image is too large: 16000 × 16000 pixels (256 megapixels); this server converts images of at most 100 megapixels.`,
      ));
    },
  );

  it.skipIf(!has('document.pdf-to-jpg'))(
    'a conversion tool over its memory limit fails its job with a plain sentence, and the next job runs',
    async () => {
      // 32 MB is plenty for an A4 page at 150 dpi (6 MB of pixels), not for a 4,000 px square page (48 MB).
      api = await startApi({ converters, workers: 1, childMemoryMb: 32 });
      const bomb = await submitFile('poster.pdf', await posterPdf(4000), 'jpg');
      const failed = await finished(bomb);
      expect(failed.status).toBe('Failed');
      expect(failed.error).toEqual({
        code: 'convert.failed',
        detail: 'The conversion needed more memory than the 32 MB this server allows a conversion tool, and was stopped.',
      });
      const next = await submitFile('report.pdf', fs.readFileSync(path.join(SAMPLES, 'report.pdf')), 'jpg');
      const done = await finished(next);
      expect(done.status).toBe('Succeeded');
      expect(done.output?.fileCount).toBe(3);
    },
  );

  it.skipIf(!has('document.pdf-to-png'))('a poster page after ordinary pages is rendered within the size cap too', async () => {
    const doc = await PDFDocument.create();
    doc.addPage([595, 842]);
    doc.addPage([5000, 5000]);
    api = await startApi({ converters, workers: 1 });
    const id = await submitFile('mixed.pdf', Buffer.from(await doc.save()), 'png');
    // At 150 dpi the second page alone would be 10,417 × 10,417 px (325 MB of pixels).
    expect((await finished(id)).status).toBe('Succeeded');
    const zip = await api.app.inject({ method: 'GET', url: `/convert/job/${id}/download`, headers: { 'x-fast-api-key': KEY_A } });
    const sides = await Promise.all(
      (await unzip(zip.rawPayload)).map(async (page) => {
        const meta = await sharp(page, { limitInputPixels: false }).metadata();
        return Math.max(meta.width ?? 0, meta.height ?? 0);
      }),
    );
    expect(sides).toHaveLength(2);
    expect(Math.max(...sides)).toBeLessThanOrEqual(4000);
  });
});

describe('fault 8: disk full', () => {
  /** The real PNG → JPG converter, writing its output into /dev/full: the kernel's own ENOSPC. */
  function onFullDisk(id: string): Converter {
    const real = converters.find((c) => c.id === id)!;
    return {
      ...real,
      run: async (ctx) => {
        await symlink('/dev/full', path.join(ctx.outputDir, `output.${real.outputExtension}`));
        return real.run(ctx);
      },
    };
  }

  it.skipIf(!has('image.png-to-jpg'))('a conversion that runs out of disk fails as the server\'s fault, in a plain sentence', async () => {
    api = await startApi({ converters: [onFullDisk('image.png-to-jpg')], workers: 1 });
    const id = await submitFile('harbor.png', fs.readFileSync(path.join(SAMPLES, 'photo-harbor.png')), 'jpg');
    const status = await finished(id);
    expect(status.status).toBe('Failed');
    expect(status.error).toEqual({
      code: 'convert.failed',
      detail: 'The server ran out of disk space during the conversion; nothing is wrong with the file. Try again later.',
    });
  });

  it.skipIf(!has('image.png-to-jpg') || !has('document.pdf-to-jpg'))('no error detail of failing conversions names a server path', async () => {
    const broken: Converter = {
      ...converters.find((c) => c.id === 'image.png-to-jpg')!,
      id: 'image.gif-to-jpg',
      sourceFormats: ['gif'],
      // A converter bug whose message carries a path (a failed read names the file it could not open).
      run: async (ctx) => ({ files: [fs.readFileSync(path.join(ctx.outputDir, 'missing', 'input.gif')).toString()] }),
    };
    api = await startApi({ converters: [...converters.filter((c) => c.id !== 'image.gif-to-jpg'), onFullDisk('image.webp-to-jpg'), broken], workers: 2 });
    const png = fs.readFileSync(path.join(SAMPLES, 'photo-harbor.png'));
    const ids = [
      await submitFile('torn.png', png.subarray(0, png.length - 4000), 'jpg'),
      await submitFile('torn.pdf', fs.readFileSync(path.join(SAMPLES, 'report.pdf')).subarray(0, 900), 'jpg'),
      await submitFile('full.webp', await sharp(png).webp().toBuffer(), 'jpg'),
      await submitFile('bug.gif', Buffer.from('GIF89a'), 'jpg'),
    ];
    const details: string[] = [];
    for (const id of ids) {
      const status = await finished(id);
      expect(status.status).toBe('Failed');
      details.push(status.error?.detail ?? '');
    }
    expect(details.every((d) => d.length > 0)).toBe(true);
    for (const detail of details) {
      expect(detail).not.toContain(api.dataDir);
      expect(detail).not.toContain(fs.realpathSync(api.dataDir));
      expect(detail).not.toMatch(/(^|[\s"'(])\/[\w.-]+\//);
    }
  });

  it('a full database answers an upload with 507 and a plain sentence', async () => {
    api = await startApi({ workers: 1, maxActivePerAccount: 10_000 });
    const db = (api.service.store as unknown as { db: Database.Database }).db;
    // SQLite's own SQLITE_FULL, as on a full disk: the file may not grow, and its free space is filled first.
    db.exec('CREATE TABLE test_filler (x BLOB)');
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    for (const bytes of [512, 64, 0]) {
      expect(() => {
        for (;;) db.prepare('INSERT INTO test_filler VALUES (zeroblob(?))').run(bytes);
      }).toThrow(expect.objectContaining({ code: 'SQLITE_FULL' }));
    }
    // The jobs table's own pages still have room for a few rows.
    let accepted = -1;
    let res;
    do {
      res = await submit(api, 'notes.txt', 'hello');
      accepted++;
    } while (res.statusCode === 202 && accepted < 1000);
    expect(res.statusCode).toBe(507);
    expect(res.json()).toEqual({
      error: 'storage.full',
      detail: 'The Convert service has run out of disk space and cannot take the request. Try again later.',
    });
    expect(fs.readdirSync(path.join(api.dataDir, 'incoming'))).toEqual([]);
    // Every upload left belongs to a job the store knows: the refused one left nothing.
    const uploads = fs.readdirSync(path.join(api.dataDir, 'uploads'));
    expect(uploads.filter((id) => api!.service.store.get(id) === null)).toEqual([]);
    expect(accepted).toBeGreaterThan(0);
  });

  it('an upload that cannot be written for want of disk answers 507, and nothing of it stays', async () => {
    api = await startApi({ workers: 1 });
    const original = fs.createWriteStream;
    vi.spyOn(fs, 'createWriteStream').mockImplementation(((file: fs.PathLike, options?: unknown) => {
      if (String(file).startsWith(path.join(api!.dataDir, 'incoming'))) {
        return new Writable({
          write(_chunk, _encoding, callback) {
            callback(Object.assign(new Error(`ENOSPC: no space left on device, write '${String(file)}'`), { code: 'ENOSPC' }));
          },
        });
      }
      return original(file, options as Parameters<typeof original>[1]);
    }) as typeof fs.createWriteStream);
    const res = await submit(api, 'notes.txt', 'hello');
    expect(res.statusCode).toBe(507);
    expect(res.json().error).toBe('storage.full');
    expect(res.body).not.toContain(api.dataDir);
    expect(res.body).not.toContain(os.tmpdir() + path.sep);
  });
});
