import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { PDFDocument, type PDFRef, concatTransformationMatrix, drawObject, popGraphicsState, pushGraphicsState } from 'pdf-lib';
import sharp from 'sharp';
import { lastLine, runProcess } from './child-process.ts';
import { loadImageInput, sharpInput } from './image.ts';
import { diskFull, isDiskFull } from './limits.ts';
import { applyResize, validateResize } from './resize.ts';
import { invalidInput, label, readHead } from './sniff.ts';
import type { Tools } from './tools.ts';
import { ConversionError, type ConvertContext, type Converter } from './types.ts';
import { pairConverter } from './pair.ts';

/** Rendering a huge document would hold a worker for minutes; bigger PDFs are refused up front. */
export const MAX_PDF_PAGES = 500;

/** The longest side of a rendered page, in pixels, unless the pixel limit asks for less. */
const MAX_PAGE_SIDE = 4000;

interface PdfInfo {
  pages: number;
  /** Largest side of any page (up to MAX_PDF_PAGES), in points. */
  largestSide: number;
}

async function readPdfInfo(pdfinfo: string, inputPath: string, signal: AbortSignal): Promise<PdfInfo> {
  const head = await readHead(inputPath, 1024);
  if (!head.includes('%PDF-')) throw invalidInput('The file is not a PDF: it has no PDF header.');
  // Every page's size, not only the first's: one poster page among letters would otherwise render at 150 dpi.
  const { code, stdout, stderr } = await runProcess(pdfinfo, ['-f', '1', '-l', String(MAX_PDF_PAGES), inputPath], {
    signal, timeoutMs: 30_000, maxStdoutBytes: 1024 * 1024,
  });
  const text = stdout.toString('utf8');
  if (code !== 0) {
    if (/password/i.test(stderr)) throw invalidInput('The PDF is password-protected.');
    throw invalidInput(`The PDF is damaged and could not be read (${lastLine(stderr)}).`);
  }
  const pages = Number(/^Pages:\s+(\d+)/m.exec(text)?.[1] ?? 0);
  if (!pages) throw invalidInput('The PDF has no pages.');
  const sides = [...text.matchAll(/^Page\s+\d*\s*size:\s+([\d.]+) x ([\d.]+)/gm)].flatMap((m) => [Number(m[1]), Number(m[2])]);
  const largestSide = sides.length > 0 ? Math.max(...sides) : 842;
  return { pages, largestSide };
}

async function pdfToImages(ctx: ConvertContext, target: 'jpg' | 'png', tools: Tools): Promise<string[]> {
  ctx.onProgress(1, 'reading');
  const info = await readPdfInfo(tools.pdfinfo!, ctx.inputPath, ctx.signal);
  if (info.pages > MAX_PDF_PAGES) throw invalidInput(`The PDF has ${info.pages} pages; at most ${MAX_PDF_PAGES} can be converted.`);
  // 150 dpi suits ordinary pages; a poster-sized page is capped instead, so one page cannot need gigabytes (and a
  // square page stays within the pixel limit). The tool's memory limit bounds whatever else a page needs.
  const maxSide = Math.min(MAX_PAGE_SIDE, Math.floor(Math.sqrt(ctx.limits.maxPixels)));
  const scale = info.largestSide * (150 / 72) > maxSide ? ['-scale-to', String(maxSide)] : ['-r', '150'];
  const format = target === 'jpg' ? ['-jpeg', '-jpegopt', 'quality=85'] : ['-png'];
  const { code, stderr } = await runProcess(
    tools.pdftoppm!,
    ['-progress', ...scale, ...format, ctx.inputPath, path.join(ctx.outputDir, 'page')],
    {
      signal: ctx.signal,
      timeoutMs: 30 * 60_000,
      // -progress writes "page total file" to stderr after each page.
      onStderrLine: (line) => {
        const m = /^(\d+) (\d+) /.exec(line);
        if (m) ctx.onProgress((Number(m[1]) / Number(m[2])) * 99, 'converting');
      },
    },
  );
  if (code !== 0) throw invalidInput(`The PDF could not be rendered (${lastLine(stderr)}).`);
  // pdftoppm pads the page number to the width of the page count (page-01.png …); order by the number.
  const files = (await readdir(ctx.outputDir))
    .map((name) => ({ name, n: Number(/^page-(\d+)\./.exec(name)?.[1] ?? NaN) }))
    .filter((f) => Number.isFinite(f.n))
    .sort((a, b) => a.n - b.n)
    .map((f) => path.join(ctx.outputDir, f.name));
  if (files.length !== info.pages) throw new ConversionError('convert.failed', `Rendered ${files.length} of ${info.pages} pages.`);
  return files;
}

/**
 * Adds a page holding raw 8-bit pixels as a Flate image (alpha as a soft mask). pdf-lib's embedPng decodes and
 * re-deflates in JavaScript (half a second for a small photo); Node's zlib does the same in milliseconds.
 */
function addRawImagePage(doc: PDFDocument, pixels: Buffer, width: number, height: number, channels: number): void {
  const colour = Buffer.alloc(width * height * 3);
  const alpha = channels === 4 ? Buffer.alloc(width * height) : null;
  for (let i = 0, j = 0, k = 0; i < pixels.length; i += channels, j += 3, k++) {
    colour[j] = pixels[i]!;
    colour[j + 1] = pixels[i + 1]!;
    colour[j + 2] = pixels[i + 2]!;
    if (alpha) alpha[k] = pixels[i + 3]!;
  }
  const image = (data: Buffer, colorSpace: string, extra: Record<string, PDFRef> = {}) =>
    doc.context.register(
      doc.context.stream(deflateSync(data), {
        Type: 'XObject', Subtype: 'Image', Width: width, Height: height, ColorSpace: colorSpace, BitsPerComponent: 8,
        Filter: 'FlateDecode', ...extra,
      }),
    );
  const mask = alpha ? image(alpha, 'DeviceGray') : null;
  const ref = image(colour, 'DeviceRGB', mask ? { SMask: mask } : {});
  const [w, h] = [width * 0.75, height * 0.75];
  const page = doc.addPage([w, h]);
  const name = page.node.newXObject('Image', ref);
  page.pushOperators(pushGraphicsState(), concatTransformationMatrix(w, 0, 0, h, 0, 0), drawObject(name), popGraphicsState());
}

/** One image → a one-page PDF the size of the image (at 96 dpi). */
async function imageToPdf(ctx: ConvertContext, source: string, tools: Tools): Promise<string[]> {
  ctx.onProgress(5, 'decoding');
  const image = await loadImageInput(ctx.inputPath, source, tools, ctx.signal, ctx.limits);
  const pipeline = applyResize(sharp(image.input, sharpInput(ctx.limits)).autoOrient(), ctx.options, image.width, image.height);
  const doc = await PDFDocument.create();
  try {
    if (source === 'jpg') {
      // Photos stay JPEG: small, and no second generation of loss worth speaking of at quality 90.
      const jpeg = await pipeline.jpeg({ quality: 90 }).toBuffer({ resolveWithObject: true });
      ctx.signal.throwIfAborted();
      const embedded = await doc.embedJpg(jpeg.data);
      const [w, h] = [jpeg.info.width * 0.75, jpeg.info.height * 0.75];
      doc.addPage([w, h]).drawImage(embedded, { x: 0, y: 0, width: w, height: h });
    } else {
      const raw = await pipeline.toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
      ctx.signal.throwIfAborted();
      addRawImagePage(doc, raw.data, raw.info.width, raw.info.height, raw.info.channels);
    }
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    if (isDiskFull(err)) throw diskFull();
    throw invalidInput(`The ${label(source)} image is damaged and could not be decoded (${(err as Error).message.split('\n')[0]}).`);
  }
  ctx.onProgress(60, 'converting');
  const outputPath = path.join(ctx.outputDir, 'output.pdf');
  await writeFile(outputPath, await doc.save());
  ctx.signal.throwIfAborted();
  return [outputPath];
}

export function pdfConverters(tools: Tools): Converter[] {
  const converters: Converter[] = [];
  if (tools.pdftoppm && tools.pdfinfo) {
    for (const target of ['jpg', 'png'] as const) {
      converters.push(
        pairConverter({
          word: 'document', category: 'Documents', source: 'pdf', target,
          contentType: target === 'jpg' ? 'image/jpeg' : 'image/png',
          convert: (ctx) => pdfToImages(ctx, target, tools),
        }),
      );
    }
  }
  for (const source of ['png', 'jpg', 'webp', 'avif', 'tiff', 'gif', 'svg', 'bmp']) {
    if (source === 'bmp' && !tools.ffmpeg) continue;
    converters.push(
      pairConverter({
        word: 'document', category: 'Documents', source, target: 'pdf', contentType: 'application/pdf',
        optionNames: ['resize'], validateOptions: validateResize,
        convert: (ctx) => imageToPdf(ctx, source, tools),
      }),
    );
  }
  return converters;
}

/** Reads back a PDF's page count (used by tests and by callers that want to double-check an output). */
export async function countPdfPages(pdfPath: string): Promise<number> {
  return (await PDFDocument.load(await readFile(pdfPath))).getPageCount();
}
