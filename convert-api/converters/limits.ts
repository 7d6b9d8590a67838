import { ConversionError } from './types.ts';
import { invalidInput, label } from './sniff.ts';

/** What one conversion may use, from the service's configuration. */
export interface ConvertLimits {
  /** Decoded pixels of one image (all frames that are decoded together), checked from the header before decoding. */
  maxPixels: number;
  /** Memory (RLIMIT_DATA) of each tool a conversion starts, in MB; 0 means no limit. */
  childMemoryMb: number;
}

export const DEFAULT_MAX_MEGAPIXELS = 100;
/**
 * Measured here with ffmpeg (8 threads, see FFMPEG_THREADS): a 4K VP9 encode peaks at 1.9 GB resident and passes
 * under 3 GB of RLIMIT_DATA; 1080p H.264 stays near 300 MB.
 */
export const DEFAULT_CHILD_MEMORY_MB = 4096;

export const DEFAULT_LIMITS: ConvertLimits = { maxPixels: DEFAULT_MAX_MEGAPIXELS * 1_000_000, childMemoryMb: DEFAULT_CHILD_MEMORY_MB };

function megapixels(pixels: number): string {
  const mp = pixels / 1_000_000;
  return mp >= 10 ? String(Math.round(mp)) : String(Math.round(mp * 10) / 10);
}

/**
 * Refuses an image whose decoded size is over the limit, before anything decodes it. sharp works in this process,
 * where no per-job memory limit can apply (Node has no setrlimit, and one job's libvips buffers are not told apart
 * from another's), so this cap is the only bound on in-process image memory: about 4 bytes a pixel, more for a
 * resize or the raw buffer of an image → PDF.
 */
export function checkPixels(format: string, width: number, height: number, frames: number, limits: ConvertLimits): void {
  const pixels = width * height * Math.max(1, frames);
  if (pixels <= limits.maxPixels) return;
  const size = `${width} × ${height} pixels${frames > 1 ? ` × ${frames} frames` : ''}`;
  throw invalidInput(
    `The ${label(format)} image is too large: ${size} (${megapixels(pixels)} megapixels); this server converts images of at most ${megapixels(limits.maxPixels)} megapixels.`,
  );
}

/** The failure of a tool stopped by its memory limit: the server's limit, not a fault of the file as such. */
export function outOfMemory(limitMb: number): ConversionError {
  return new ConversionError(
    'convert.failed',
    `The conversion needed more memory than the ${limitMb} MB this server allows a conversion tool, and was stopped.`,
  );
}

export const DISK_FULL_DETAIL = 'The server ran out of disk space during the conversion; nothing is wrong with the file. Try again later.';

/** The failure of a conversion that could not write for want of disk space. */
export function diskFull(): ConversionError {
  return new ConversionError('convert.failed', DISK_FULL_DETAIL);
}

const DISK_FULL_TEXT = /No space left on device|Disk quota exceeded|\bENOSPC\b|\bEDQUOT\b/i;

/** True for an error (or a tool's message) that says the disk or the quota is full. */
export function isDiskFull(error: unknown): boolean {
  if (typeof error === 'string') return DISK_FULL_TEXT.test(error);
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL') return true;
  const message = error instanceof Error ? error.message : '';
  return DISK_FULL_TEXT.test(message);
}
