// @vitest-environment node
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countPdfPages } from './pdf.ts';
import { listDir, removeTempDirs, runConverter, sample, tempDir } from './test-utils.ts';

let dir: string;
beforeAll(async () => {
  dir = await tempDir();
});
afterAll(removeTempDirs);

/** Mean RGB of a band of an image (sharp's stats() would ignore the extract and average the whole input). */
async function bandColour(file: string, top: number, height: number): Promise<number[]> {
  const { width } = await sharp(file).metadata();
  const { data, info } = await sharp(file).extract({ left: 0, top, width: width, height }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const sums = [0, 0, 0];
  for (let i = 0; i < data.length; i++) sums[i % info.channels] += data[i];
  return sums.map((v) => v / (data.length / info.channels));
}

/** The header band of a rendered sample page, where each page has its own colour. */
async function headerColour(file: string): Promise<string> {
  return (await bandColour(file, 5, 20)).map((c) => Math.round(c / 32)).join(',');
}

describe('PDF converters', () => {
  it('renders each of the sample PDF’s 3 pages to its own PNG, in page order, with progress per page', async () => {
    const out = await runConverter('document.pdf-to-png', sample('report.pdf'));
    expect(out.files.map((f) => path.basename(f))).toEqual(['page-1.png', 'page-2.png', 'page-3.png']);
    for (const file of out.files) {
      // A4 at 150 dpi (poppler rounds the height up)
      const m = await sharp(file).metadata();
      expect(m.format).toBe('png');
      expect(m.width).toBe(1240);
      expect(Math.abs(m.height - 1754)).toBeLessThanOrEqual(1);
    }
    const colours = await Promise.all(out.files.map(headerColour));
    expect(new Set(colours).size).toBe(3);
    expect(out.progress.filter((p) => p > 30).length).toBeGreaterThanOrEqual(3);
  });

  it('renders the pages as JPEG too', async () => {
    const out = await runConverter('document.pdf-to-jpg', sample('report.pdf'));
    expect(out.files).toHaveLength(3);
    expect((await sharp(out.files[0]).metadata()).format).toBe('jpeg');
  });

  it('puts an image on a PDF page of the image’s size', async () => {
    const out = await runConverter('document.jpg-to-pdf', sample('photo-forest.jpg'));
    const png = await runConverter('document.png-to-pdf', sample('photo-harbor.png'));
    expect(await countPdfPages(out.files[0])).toBe(1);
    expect(await countPdfPages(png.files[0])).toBe(1);
    const back = await runConverter('document.pdf-to-png', png.files[0]);
    // 640×427 px → 480×320.25 pt → 1000×667 px at 150 dpi
    const m = await sharp(back.files[0]).metadata();
    expect(m.width).toBe(1000);
    expect(Math.abs(m.height - 667)).toBeLessThanOrEqual(1);
    // the harbour's sky is dark blue at the top and its sea dark below: the pixels really went in
    const [r, , b] = await bandColour(back.files[0], 0, 20);
    expect(b).toBeGreaterThan(r + 50);
  });

  it('keeps transparency of a PNG as a soft mask', async () => {
    const file = path.join(dir, 'alpha.png');
    await sharp({ create: { width: 64, height: 64, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0 } } }).png().toFile(file);
    const out = await runConverter('document.png-to-pdf', file);
    const back = await runConverter('document.pdf-to-png', out.files[0]);
    // fully transparent red over a white page renders white
    const stats = await sharp(back.files[0]).stats();
    expect(stats.channels[1].mean).toBeGreaterThan(250);
  });

  it('refuses a PDF that is not one, or is cut short, and leaves no pages behind', async () => {
    const fake = path.join(dir, 'fake.pdf');
    await writeFile(fake, 'hello, I am text');
    const cut = path.join(dir, 'cut.pdf');
    await writeFile(cut, '%PDF-1.7\n1 0 obj\n<< /Type /Catalog');
    for (const file of [fake, cut]) {
      const outputDir = await tempDir('conv-out-');
      await expect(runConverter('document.pdf-to-png', file, {}, { outputDir })).rejects.toMatchObject({ code: 'convert.invalid_input' });
      expect(await listDir(outputDir)).toEqual([]);
    }
  });
});
