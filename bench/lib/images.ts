/**
 * Photo-like test images: smooth colour fields (a small random image upscaled with a cubic kernel, then blurred)
 * plus per-pixel grain, so PNG cannot shrink them to nothing and JPEG has real work, as with a photo.
 * Deterministic per index (seeded), cached on disk across runs because generating them is slow.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { mulberry32 } from './random.ts';


export async function makePhotoLikePng(file: string, index: number, width = 2000, height = 1500): Promise<void> {
  const rand = mulberry32(0x5eed + index * 7919);
  const sw = 10;
  const sh = 8;
  const small = Buffer.alloc(sw * sh * 3);
  for (let i = 0; i < small.length; i++) small[i] = Math.floor(rand() * 256);
  const smooth = await sharp(small, { raw: { width: sw, height: sh, channels: 3 } })
    .resize(width, height, { kernel: 'cubic' })
    .blur(12)
    .raw()
    .toBuffer();
  // Grain of a few levels, like sensor noise: keeps the PNG photo-sized (several MB).
  for (let i = 0; i < smooth.length; i++) {
    const v = smooth[i] + Math.floor(rand() * 13) - 6;
    smooth[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  await sharp(smooth, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 6 }).toFile(file);
}

/** Ensures `count` images exist in `dir` (img-0001.png …), generating missing ones two at a time. */
export async function ensureImages(dir: string, count: number, width = 2000, height = 1500): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const files = Array.from({ length: count }, (_, i) => path.join(dir, `img-${String(i + 1).padStart(4, '0')}.png`));
  const missing = files.map((f, i) => [f, i] as const).filter(([f]) => !existsSync(f));
  if (missing.length) console.log(`generating ${missing.length} photo-like ${width}×${height} PNGs in ${dir} (cached for later runs)…`);
  let next = 0;
  const worker = async () => {
    while (next < missing.length) {
      const [file, index] = missing[next++];
      const tmp = `${file}.part.png`;
      await makePhotoLikePng(tmp, index, width, height);
      const { renameSync } = await import('node:fs');
      renameSync(tmp, file);
    }
  };
  await Promise.all([worker(), worker()]);
  // Leftover partial files from an interrupted run are not images.
  for (const f of readdirSync(dir)) if (f.endsWith('.part.png')) (await import('node:fs')).rmSync(path.join(dir, f), { force: true });
  return files;
}
