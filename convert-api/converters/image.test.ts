// @vitest-environment node
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateResize } from './resize.ts';
import { converter, listDir, removeTempDirs, runConverter, sample, tempDir } from './test-utils.ts';
import { ConversionError } from './types.ts';

let dir: string;

beforeAll(async () => {
  dir = await tempDir();
  // A landscape 3000×2000 and a portrait 1200×3000 image, to check presets on both orientations.
  await sharp({ create: { width: 3000, height: 2000, channels: 3, background: '#3366aa' } }).png().toFile(path.join(dir, 'wide.png'));
  await sharp({ create: { width: 1200, height: 3000, channels: 3, background: '#aa6633' } }).jpeg().toFile(path.join(dir, 'tall.jpg'));
  await sharp({ create: { width: 40, height: 30, channels: 4, background: { r: 0, g: 128, b: 0, alpha: 0.5 } } })
    .png()
    .toFile(path.join(dir, 'small.png'));
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', path.join(dir, 'small.png'), '-pix_fmt', 'bgr24', path.join(dir, 'small.bmp')]);
});
afterAll(removeTempDirs);

async function decode(file: string) {
  const m = await sharp(file).metadata();
  return { format: m.format, width: m.width, height: m.height };
}

describe('image converters', () => {
  it('converts the sample PNG photo to a JPEG of the same size', async () => {
    const out = await runConverter('image.png-to-jpg', sample('photo-harbor.png'));
    expect(out.files).toHaveLength(1);
    expect(await decode(out.files[0])).toEqual({ format: 'jpeg', width: 640, height: 427 });
    expect(await listDir(out.outputDir)).toEqual(['output.jpg']);
  });

  it.each([
    ['webp', 'webp'],
    ['avif', 'heif'],
    ['tiff', 'tiff'],
    ['gif', 'gif'],
    ['png', 'png'],
  ])('encodes the sample JPEG as %s', async (target, sharpFormat) => {
    const out = await runConverter(`image.jpg-to-${target}`, sample('photo-forest.jpg'), {
      resize: { enabled: true, width: 320 },
    });
    expect(await decode(out.files[0])).toEqual({ format: sharpFormat, width: 320, height: 214 });
  });

  it('renders the sample SVG and decodes BMP input', async () => {
    const svg = await runConverter('image.svg-to-png', sample('badge.svg'));
    const bmp = await runConverter('image.bmp-to-png', path.join(dir, 'small.bmp'));
    expect(await decode(svg.files[0])).toEqual({ format: 'png', width: 256, height: 256 });
    expect(await decode(bmp.files[0])).toEqual({ format: 'png', width: 40, height: 30 });
  });

  it('fits the 1080p preset inside 1920×1080 for landscape and 1080×1920 for portrait images', async () => {
    const wide = await runConverter('image.png-to-jpg', path.join(dir, 'wide.png'), { resize: { enabled: true, preset: '1080p' } });
    const tall = await runConverter('image.jpg-to-webp', path.join(dir, 'tall.jpg'), { resize: { enabled: true, preset: '1080p' } });
    expect(await decode(wide.files[0])).toMatchObject({ width: 1620, height: 1080 });
    expect(await decode(tall.files[0])).toMatchObject({ width: 768, height: 1920 });
  });

  it('never enlarges an image smaller than the preset or custom box', async () => {
    const preset = await runConverter('image.png-to-webp', path.join(dir, 'small.png'), { resize: { enabled: true, preset: '4k' } });
    const custom = await runConverter('image.png-to-jpg', path.join(dir, 'small.png'), { resize: { enabled: true, width: 800, height: 600 } });
    expect(await decode(preset.files[0])).toMatchObject({ width: 40, height: 30 });
    expect(await decode(custom.files[0])).toMatchObject({ width: 40, height: 30 });
  });

  it('keeps the aspect ratio inside a custom width and height', async () => {
    const out = await runConverter('image.png-to-webp', path.join(dir, 'wide.png'), { resize: { enabled: true, width: 800, height: 600 } });
    expect(await decode(out.files[0])).toMatchObject({ width: 800, height: 533 });
  });

  it('ignores a resize that is not enabled', async () => {
    const out = await runConverter('image.png-to-jpg', path.join(dir, 'small.png'), { resize: { enabled: false, preset: 'nonsense' } });
    expect(await decode(out.files[0])).toMatchObject({ width: 40, height: 30 });
  });

  it('explains invalid resize options in a sentence', async () => {
    const c = await converter('image.png-to-jpg');
    expect(c.optionNames).toEqual(['resize']);
    expect(c.validateOptions!({ resize: { enabled: true, preset: '1080p' } })).toBeNull();
    expect(c.validateOptions!({ resize: { enabled: true, width: 800 } })).toBeNull();
    expect(validateResize({ resize: { enabled: true, preset: '999p' } })).toMatch(/preset must be one of 480p, 720p, 1080p, 1440p, 4k/);
    expect(validateResize({ resize: { enabled: true, width: -5 } })).toMatch(/width must be a whole number/);
    expect(validateResize({ resize: { enabled: true, width: 1.5 } })).toMatch(/width/);
    expect(validateResize({ resize: { enabled: true } })).toMatch(/needs a preset/);
    expect(validateResize({ resize: { enabled: 'yes' } as never })).toMatch(/enabled must be true or false/);
    expect(validateResize({ resize: { enabled: true, preset: '720p', width: 5 } })).toMatch(/not both/);
    expect(validateResize({ resize: { enabled: true, preset: '720p', depth: 3 } as never })).toMatch(/"depth"/);
    expect(validateResize({ resize: 'big' as never })).toMatch(/must be an object/);
  });

  it('refuses a PNG file that holds a JPEG, and leaves no output behind', async () => {
    const out = await tempDir('conv-out-');
    const err = await runConverter('image.png-to-webp', sample('photo-forest.jpg'), {}, { outputDir: out }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConversionError);
    expect(err).toMatchObject({ code: 'convert.invalid_input' });
    expect((err as ConversionError).detail).toMatch(/not a PNG image: its content is JPEG/);
    expect(await listDir(out)).toEqual([]);
  });

  it('refuses garbage, a truncated JPEG and a fake BMP as invalid input', async () => {
    const garbage = path.join(dir, 'garbage.jpg');
    await writeFile(garbage, 'this is not an image at all');
    const truncated = path.join(dir, 'truncated.jpg');
    const full = await sharp(sample('photo-forest.jpg')).toBuffer();
    await writeFile(truncated, full.subarray(0, Math.floor(full.length / 3)));
    const fakeBmp = path.join(dir, 'fake.bmp');
    await writeFile(fakeBmp, 'BM but nothing else of a bitmap');
    for (const [id, file] of [
      ['image.jpg-to-png', garbage],
      ['image.jpg-to-png', truncated],
      ['image.bmp-to-jpg', fakeBmp],
    ] as const) {
      const err = await runConverter(id, file).catch((e: unknown) => e);
      expect(err, `${id} ${file}`).toMatchObject({ code: 'convert.invalid_input' });
    }
  });

  it('stops before working when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(runConverter('image.png-to-jpg', sample('photo-harbor.png'), {}, { signal: controller.signal })).rejects.toThrow();
  });
});
