import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { createGunzip, gzipSync } from 'node:zlib';
import * as tar from 'tar';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { invalidInput, label, readHead, startsWith } from './sniff.ts';
import { ConversionError, type ConvertContext, type Converter } from './types.ts';
import { pairConverter } from './pair.ts';

export const ARCHIVE_FORMATS = ['zip', 'tar', 'tar.gz'] as const;
type ArchiveFormat = (typeof ARCHIVE_FORMATS)[number];

const MIME: Record<ArchiveFormat, string> = { zip: 'application/zip', tar: 'application/x-tar', 'tar.gz': 'application/gzip' };

/** Read size for packing tar members: big enough for few syscalls, small enough to keep memory flat. */
const TAR_READ_BYTES = 1024 * 1024;

/** Caps against archive bombs: what an archive may expand to here, whatever its own headers claim. */
export const ARCHIVE_LIMITS = { maxEntries: 10_000, maxTotalBytes: 1024 * 1024 * 1024 };

/** The safe place of an archive member inside `root`, or an error for absolute paths and `..` tricks. */
export function safeMemberPath(root: string, name: string): string | null {
  const clean = path.posix.normalize(name.replace(/^(\.\/)+/, ''));
  if (clean === '.' || clean === '' || clean === './') return null;
  if (path.posix.isAbsolute(clean) || clean === '..' || clean.startsWith('../') || name.includes('\0')) {
    throw invalidInput(`The archive contains an unsafe path ("${name}"); it was refused.`);
  }
  const target = path.resolve(root, clean);
  if (!target.startsWith(root + path.sep)) throw invalidInput(`The archive contains an unsafe path ("${name}"); it was refused.`);
  return target;
}

/** Counts entries and bytes across one extraction and stops it when a cap is passed. */
class Budget {
  entries = 0;
  bytes = 0;
  entry(): void {
    if (++this.entries > ARCHIVE_LIMITS.maxEntries) throw invalidInput(`The archive has more than ${ARCHIVE_LIMITS.maxEntries} entries.`);
  }
  add(n: number): void {
    this.bytes += n;
    if (this.bytes > ARCHIVE_LIMITS.maxTotalBytes) {
      throw invalidInput(`The archive expands to more than ${Math.round(ARCHIVE_LIMITS.maxTotalBytes / 1024 / 1024)} MB; it was refused.`);
    }
  }
  /** Refuses up front an entry whose declared size alone would pass the cap. */
  expect(n: number): void {
    if (this.bytes + n > ARCHIVE_LIMITS.maxTotalBytes) this.add(n);
  }
  /** A pass-through stream that charges every byte written. */
  meter(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _enc, done) => {
        try {
          this.add(chunk.length);
          done(null, chunk);
        } catch (err) {
          done(err as Error);
        }
      },
    });
  }
}

async function checkMagic(inputPath: string, format: ArchiveFormat): Promise<void> {
  const head = await readHead(inputPath, 512);
  const ok =
    format === 'zip'
      ? startsWith(head, [0x50, 0x4b, 0x03, 0x04]) || startsWith(head, [0x50, 0x4b, 0x05, 0x06])
      : format === 'tar.gz'
        ? startsWith(head, [0x1f, 0x8b])
        : startsWith(head, 'ustar', 257) || (head.length === 512 && head.every((b) => b === 0));
  if (!ok) throw invalidInput(`The file is not a ${label(format)} archive: its signature does not match.`);
}

function openZip(zipPath: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(zipPath, { lazyEntries: true, autoClose: true, validateEntrySizes: true }, (err, zip) =>
      err || !zip ? reject(err ?? new Error('unreadable')) : resolve(zip),
    ),
  );
}

function entryStream(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<NodeJS.ReadableStream> {
  return new Promise((resolve, reject) => zip.openReadStream(entry, (err, s) => (err || !s ? reject(err ?? new Error('unreadable')) : resolve(s))));
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

async function extractZip(inputPath: string, root: string, signal: AbortSignal): Promise<void> {
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(inputPath);
  } catch (err) {
    throw invalidInput(`The ZIP archive is damaged and could not be read (${(err as Error).message}).`);
  }
  const budget = new Budget();
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', (err: Error) => reject(invalidInput(`The ZIP archive is damaged (${err.message}).`)));
      zip.on('end', () => resolve());
      zip.on('entry', (entry: yauzl.Entry) => {
        (async () => {
          signal.throwIfAborted();
          budget.entry();
          const target = safeMemberPath(root, entry.fileName);
          const isLink = ((entry.externalFileAttributes >>> 16) & S_IFMT) === S_IFLNK;
          if (!target || isLink) return; // links are dropped: they could point anywhere once unpacked
          if (entry.fileName.endsWith('/')) {
            await mkdir(target, { recursive: true });
            return;
          }
          budget.expect(entry.uncompressedSize);
          await mkdir(path.dirname(target), { recursive: true });
          let source: NodeJS.ReadableStream;
          try {
            source = await entryStream(zip, entry);
          } catch (err) {
            throw invalidInput(`The ZIP entry "${entry.fileName}" cannot be read (${(err as Error).message}).`);
          }
          await pipeline(source, budget.meter(), createWriteStream(target), { signal }).catch((err: unknown) => {
            if (err instanceof Error && (err as { code?: string }).code === 'convert.invalid_input') throw err;
            if (signal.aborted) throw err;
            throw invalidInput(`The ZIP entry "${entry.fileName}" is damaged (${(err as Error).message}).`);
          });
        })().then(() => zip.readEntry(), reject);
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
}

/** Watches a stream for any non-zero byte: an all-zero tar is a valid empty archive that node-tar refuses. */
function zeroWatch(): Transform & { sawData: () => boolean } {
  let nonZero = false;
  const t = new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (!nonZero && chunk.some((b) => b !== 0)) nonZero = true;
      done(null, chunk);
    },
  });
  return Object.assign(t, { sawData: () => nonZero });
}

async function extractTar(inputPath: string, root: string, gzip: boolean, signal: AbortSignal): Promise<void> {
  const budget = new Budget();
  // The tar stream itself is metered too: a gzip of endless zeros holds no entries but would still be read.
  const streamBudget = new Budget();
  const writes: Promise<void>[] = [];
  let entries = 0;
  const parser = new tar.Parser({
    strict: true,
    onReadEntry: (entry) => {
      entries++;
      try {
        signal.throwIfAborted();
        budget.entry();
        const target = safeMemberPath(root, entry.path);
        if (target && entry.type === 'Directory') {
          writes.push(mkdir(target, { recursive: true }).then(() => undefined));
          entry.resume();
        } else if (target && (entry.type === 'File' || entry.type === 'OldFile' || entry.type === 'ContiguousFile')) {
          budget.expect(entry.size ?? 0);
          // The parser pauses until the entry is consumed, so the directory exists before data flows.
          writes.push(
            (async () => {
              await mkdir(path.dirname(target), { recursive: true });
              await pipeline(entry as unknown as NodeJS.ReadableStream, budget.meter(), createWriteStream(target), { signal });
            })(),
          );
        } else {
          entry.resume(); // links, devices and FIFOs are not carried over
        }
      } catch (err) {
        entry.resume();
        parser.abort(err as Error);
      }
    },
  });
  const watch = zeroWatch();
  const stages: NodeJS.ReadWriteStream[] = gzip ? [createGunzip()] : [];
  try {
    await pipeline([createReadStream(inputPath), ...stages, streamBudget.meter(), watch, parser], { signal });
    await Promise.all(writes);
  } catch (err) {
    await Promise.allSettled(writes);
    if (signal.aborted) throw signal.reason;
    if (err instanceof ConversionError) throw err;
    if ((err as { code?: string }).code === 'TAR_BAD_ARCHIVE' && entries === 0 && !watch.sawData()) return;
    throw invalidInput(`The archive is damaged and could not be read (${(err as Error).message}).`);
  }
}

/** Every file and directory under `root`, relative, parents before children, in name order. */
async function walk(root: string, rel = ''): Promise<{ rel: string; dir: boolean }[]> {
  const out: { rel: string; dir: boolean }[] = [];
  const entries = (await readdir(path.join(root, rel), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const e of entries) {
    const child = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push({ rel: child, dir: true }, ...(await walk(root, child)));
    else if (e.isFile()) out.push({ rel: child, dir: false });
  }
  return out;
}

async function writeZip(root: string, outputPath: string, signal: AbortSignal): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const item of await walk(root)) {
    const mtime = (await stat(path.join(root, item.rel))).mtime;
    if (item.dir) zip.addEmptyDirectory(item.rel, { mtime });
    else zip.addFile(path.join(root, item.rel), item.rel, { mtime });
  }
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(outputPath), { signal });
}

async function writeTar(root: string, outputPath: string, gzip: boolean): Promise<void> {
  const top = (await readdir(root)).sort();
  if (top.length === 0) {
    // node-tar refuses to create an archive without members; an empty tar is zero blocks (GNU tar writes 10 KiB).
    const empty = Buffer.alloc(10240);
    await writeFile(outputPath, gzip ? gzipSync(empty) : empty);
    return;
  }
  // node-tar reads each file in fresh 16 MiB buffers by default; with a large member several are alive at once
  // (read, queued in the pack stream, being written) and the service's RSS grew by ~100 MiB for a 1 GiB member.
  await tar.c({ gzip, portable: true, cwd: root, file: outputPath, maxReadSize: TAR_READ_BYTES }, top);
}

async function convertArchive(ctx: ConvertContext, source: ArchiveFormat, target: ArchiveFormat): Promise<string[]> {
  ctx.onProgress(1, 'reading');
  await checkMagic(ctx.inputPath, source);
  const work = await mkdtemp(path.join(os.tmpdir(), 'convert-archive-'));
  try {
    const root = path.join(work, 'x');
    await mkdir(root);
    ctx.onProgress(10, 'extracting');
    if (source === 'zip') await extractZip(ctx.inputPath, root, ctx.signal);
    else await extractTar(ctx.inputPath, root, source === 'tar.gz', ctx.signal);
    ctx.signal.throwIfAborted();
    ctx.onProgress(55, 'packing');
    const outputPath = path.join(ctx.outputDir, `output.${target}`);
    if (target === 'zip') await writeZip(root, outputPath, ctx.signal);
    else await writeTar(root, outputPath, target === 'tar.gz');
    ctx.signal.throwIfAborted();
    return [outputPath];
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export function archiveConverters(): Converter[] {
  const converters: Converter[] = [];
  for (const source of ARCHIVE_FORMATS) {
    for (const target of ARCHIVE_FORMATS) {
      if (source === target) continue;
      converters.push(
        pairConverter({
          word: 'archive', category: 'Archives', source, target, contentType: MIME[target],
          convert: (ctx) => convertArchive(ctx, source, target),
        }),
      );
    }
  }
  return converters;
}
