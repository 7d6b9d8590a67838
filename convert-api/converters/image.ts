import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp, { type Metadata, type Sharp, type SharpOptions } from 'sharp';
import { lastLine, runProcess } from './child-process.ts';
import { checkPixels, diskFull, isDiskFull, type ConvertLimits } from './limits.ts';
import { applyResize, validateResize } from './resize.ts';
import { invalidInput, label, readHead, startsWith } from './sniff.ts';
import type { Tools } from './tools.ts';
import type { ConvertContext, Converter } from './types.ts';
import { pairConverter } from './pair.ts';

export const IMAGE_SOURCES = ['png', 'jpg', 'webp', 'avif', 'tiff', 'gif', 'svg', 'bmp'] as const;
export const IMAGE_TARGETS = ['jpg', 'png', 'webp', 'avif', 'tiff', 'gif'] as const;

export const IMAGE_MIME: Record<string, string> = {
  jpg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  avif: 'image/avif',
  tiff: 'image/tiff',
  gif: 'image/gif',
};

/** What sharp's metadata() calls each source format (an AVIF reads as `heif`, with AV1 compression). */
const SHARP_FORMAT: Record<string, string> = {
  png: 'png',
  jpg: 'jpeg',
  webp: 'webp',
  avif: 'heif',
  tiff: 'tiff',
  gif: 'gif',
  svg: 'svg',
  bmp: 'png',
};

/** An input ready for sharp: validated, and for BMP already decoded to PNG. */
export interface ImageInput {
  input: Buffer | string;
  width: number;
  height: number;
  /** More than one frame (animated GIF/WebP). */
  animated: boolean;
  /** Frames decoded when the animation is kept (1 when not animated). */
  frames: number;
}

/**
 * sharp (libvips) has no BMP loader, so BMP goes through ffmpeg's BMP decoder (all bit depths, RLE, bitfields)
 * into an in-memory PNG.
 */
async function decodeBmp(inputPath: string, ffmpeg: string, signal: AbortSignal, limits: ConvertLimits): Promise<Buffer> {
  const head = await readHead(inputPath, 26);
  if (!startsWith(head, 'BM')) throw invalidInput('The file is not a BMP image: it does not start with the BMP signature.');
  // The size is checked from the header before ffmpeg decodes it into this process's memory (an RLE bitmap of a few
  // KB can claim any size). A header of 12 bytes (OS/2) has 16-bit sizes; the others 32-bit, the height signed.
  if (head.length >= 26) {
    const os2 = head.readUInt32LE(14) === 12;
    const width = os2 ? head.readUInt16LE(18) : Math.abs(head.readInt32LE(18));
    const height = os2 ? head.readUInt16LE(20) : Math.abs(head.readInt32LE(22));
    checkPixels('bmp', width, height, 1, limits);
  }
  const { code, stdout, stderr } = await runProcess(
    ffmpeg,
    ['-nostdin', '-v', 'error', '-f', 'bmp_pipe', '-i', inputPath, '-frames:v', '1', '-c:v', 'png', '-compression_level', '1', '-f', 'image2pipe', 'pipe:1'],
    // A PNG at compression level 1 is smaller than the raw pixels: 4 bytes a pixel (and a little) is its ceiling.
    { signal, timeoutMs: 60_000, maxStdoutBytes: Math.min(1024 * 1024 * 1024, limits.maxPixels * 4 + 1024 * 1024) },
  );
  if (code !== 0 || stdout.length === 0) throw invalidInput(`The BMP image could not be decoded (${lastLine(stderr)}).`);
  return stdout;
}

/**
 * Opens an image of the claimed format, or throws convert.invalid_input saying what is wrong (too large included:
 * one frame over the pixel limit is refused here, before any pixel is decoded).
 */
export async function loadImageInput(
  inputPath: string,
  format: string,
  tools: Pick<Tools, 'ffmpeg'>,
  signal: AbortSignal,
  limits: ConvertLimits,
): Promise<ImageInput> {
  let input: Buffer | string = inputPath;
  if (format === 'bmp') {
    if (!tools.ffmpeg) throw new Error('BMP decoding needs ffmpeg, which is not installed.');
    input = await decodeBmp(inputPath, tools.ffmpeg, signal, limits);
  } else if (format === 'svg') {
    // A buffer has no base location, so librsvg cannot pull in files next to the upload.
    input = await readFile(inputPath);
  }
  let meta: Metadata;
  try {
    meta = await sharp(input, { limitInputPixels: false }).metadata();
  } catch {
    throw invalidInput(`The file is not a readable ${label(format)} image.`);
  }
  const expected = SHARP_FORMAT[format];
  const isAvif = meta.format === 'heif' && meta.compression === 'av1';
  if (meta.format !== expected || (format === 'avif' && !isAvif)) {
    const found = meta.format === 'heif' ? (meta.compression === 'av1' ? 'AVIF' : 'HEIC') : label(meta.format ?? 'unknown');
    throw invalidInput(`The file is not a ${label(format)} image: its content is ${found}.`);
  }
  if (!meta.width || !meta.height) throw invalidInput(`The ${label(format)} image has no size.`);
  const animated = (meta.pages ?? 1) > 1 && (format === 'gif' || format === 'webp');
  // For an animated image metadata().height is one frame's height (pageHeight) only when it is set.
  const height = meta.pageHeight ?? meta.height;
  checkPixels(format, meta.width, height, 1, limits);
  return { input, width: meta.width, height, animated, frames: animated ? (meta.pages ?? 1) : 1 };
}

/**
 * sharp's options for decoding an input that loadImageInput accepted: its own pixel limit as a second guard
 * (sharp counts all frames of an animated image together, as the service's limit does).
 */
export function sharpInput(limits: ConvertLimits, animated = false): SharpOptions {
  return { animated, failOn: 'error', limitInputPixels: limits.maxPixels };
}

/** Encodes a sharp pipeline into the target format with this service's quality settings. */
export function encode(pipeline: Sharp, target: string): Sharp {
  switch (target) {
    case 'jpg':
      return pipeline.flatten({ background: '#ffffff' }).jpeg({ quality: 85 });
    case 'png':
      return pipeline.png({ compressionLevel: 6 });
    case 'webp':
      return pipeline.webp({ quality: 80 });
    case 'avif':
      return pipeline.avif({ quality: 50, effort: 2 });
    case 'tiff':
      return pipeline.tiff({ compression: 'lzw' });
    case 'gif':
      return pipeline.gif();
    default:
      throw new Error(`No image encoder for ${target}.`);
  }
}

async function convertImage(ctx: ConvertContext, source: string, target: string, tools: Tools): Promise<string[]> {
  ctx.signal.throwIfAborted();
  ctx.onProgress(5, 'decoding');
  const image = await loadImageInput(ctx.inputPath, source, tools, ctx.signal, ctx.limits);
  ctx.signal.throwIfAborted();
  const keepFrames = image.animated && (target === 'gif' || target === 'webp');
  if (keepFrames) checkPixels(source, image.width, image.height, image.frames, ctx.limits);
  let pipeline = sharp(image.input, sharpInput(ctx.limits, keepFrames)).autoOrient();
  pipeline = applyResize(pipeline, ctx.options, image.width, image.height);
  const outputPath = path.join(ctx.outputDir, `output.${target}`);
  ctx.onProgress(20, 'converting');
  try {
    await encode(pipeline, target).toFile(outputPath);
  } catch (err) {
    if (isDiskFull(err)) throw diskFull();
    // The header was fine (metadata passed), so a failure here is broken pixel data.
    throw invalidInput(`The ${label(source)} image is damaged and could not be decoded (${(err as Error).message.split('\n')[0]}).`);
  }
  ctx.signal.throwIfAborted();
  return [outputPath];
}

export function imageConverters(tools: Tools): Converter[] {
  const converters: Converter[] = [];
  for (const source of IMAGE_SOURCES) {
    if (source === 'bmp' && !tools.ffmpeg) continue;
    for (const target of IMAGE_TARGETS) {
      if (source === target) continue;
      converters.push(
        pairConverter({
          word: 'image', category: 'Images', source, target, contentType: IMAGE_MIME[target],
          optionNames: ['resize'], validateOptions: validateResize,
          convert: (ctx) => convertImage(ctx, source, target, tools),
        }),
      );
    }
  }
  return converters;
}
