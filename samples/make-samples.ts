/**
 * Regenerates the sample files from local tools only (sharp, pdf-lib, fonteditor-core, yazl, ffmpeg, pandoc):
 *   ./node_modules/.bin/tsx samples/make-samples.ts
 * The dashboard's "Create demo batch" submits these files as listed in demo.json; the converter tests use them too.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Font } from 'fonteditor-core';
import { PDFDocument, StandardFonts, rgb } from 'pdf-lib';
import sharp from 'sharp';
import yazl from 'yazl';

const dir = path.dirname(fileURLToPath(import.meta.url));
const out = (name: string) => path.join(dir, name);

/** A landscape drawn in SVG, plus grain, so that encoders see something like a photo rather than flat colour. */
async function photo(name: string, width: number, height: number, scene: string, format: 'png' | 'jpg') {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 640 427">${scene}</svg>`;
  const grain = await sharp({ create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: format === 'png' ? 4 : 10 } } })
    .png()
    .toBuffer();
  const image = sharp(Buffer.from(svg)).composite([{ input: grain, blend: 'soft-light' }]).blur(0.6);
  await (format === 'png' ? image.png({ compressionLevel: 9, palette: false }) : image.jpeg({ quality: 82 })).toFile(out(name));
}

const harbor = `
  <defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#1d3b6e"/><stop offset="0.6" stop-color="#f49a5b"/><stop offset="1" stop-color="#ffd59e"/></linearGradient>
  <linearGradient id="sea" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#2f5d7c"/><stop offset="1" stop-color="#0d2236"/></linearGradient></defs>
  <rect width="640" height="260" fill="url(#sky)"/><circle cx="450" cy="230" r="48" fill="#ffe7a8"/>
  <rect y="255" width="640" height="172" fill="url(#sea)"/>
  <path d="M0 260 L90 200 L170 240 L260 185 L360 250 L640 255 L640 262 L0 262 Z" fill="#243447"/>
  <path d="M120 330 h120 l-20 26 h-84 z" fill="#5a3b2a"/><rect x="176" y="262" width="5" height="70" fill="#3a2a20"/>
  <path d="M181 268 L235 322 L181 322 Z" fill="#f3efe6"/>
  <g fill="#ffe7a8" opacity="0.5"><rect x="420" y="270" width="60" height="3"/><rect x="400" y="290" width="90" height="3"/><rect x="430" y="312" width="40" height="3"/></g>`;

const forest = `
  <defs><linearGradient id="s" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#9ccbe8"/><stop offset="1" stop-color="#e8f3f7"/></linearGradient>
  <radialGradient id="m" cx="0.5" cy="1" r="0.9"><stop offset="0" stop-color="#7fa86a"/><stop offset="1" stop-color="#355e3b"/></radialGradient></defs>
  <rect width="640" height="427" fill="url(#s)"/>
  <path d="M0 250 L140 110 L230 190 L330 80 L460 210 L540 150 L640 230 L640 427 L0 427 Z" fill="#8795a8"/>
  <path d="M330 80 L300 110 L315 108 L330 120 L345 106 L360 112 Z" fill="#ffffff"/>
  <rect y="280" width="640" height="147" fill="url(#m)"/>
  ${Array.from({ length: 14 }, (_, i) => {
    const x = 20 + i * 46;
    const h = 90 + ((i * 37) % 60);
    return `<path d="M${x} ${330 - h} L${x - 24} 340 L${x + 24} 340 Z" fill="#1f4d2b"/><rect x="${x - 3}" y="340" width="6" height="14" fill="#4a3121"/>`;
  }).join('')}`;

const badge = `<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256">
  <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#22c55e"/><stop offset="1" stop-color="#0ea5e9"/></linearGradient></defs>
  <rect x="8" y="8" width="240" height="240" rx="48" fill="url(#g)"/>
  <path d="M70 132 L112 174 L190 88" fill="none" stroke="#ffffff" stroke-width="24" stroke-linecap="round" stroke-linejoin="round"/>
</svg>
`;

async function report() {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.HelveticaBold);
  const body = await doc.embedFont(StandardFonts.Helvetica);
  const pages = [
    { title: 'Quarterly report', color: rgb(0.13, 0.4, 0.75), draw: 'bars' },
    { title: 'Regional summary', color: rgb(0.85, 0.35, 0.2), draw: 'circles' },
    { title: 'Outlook', color: rgb(0.2, 0.6, 0.35), draw: 'line' },
  ];
  pages.forEach((p, i) => {
    const page = doc.addPage([595, 842]);
    page.drawRectangle({ x: 0, y: 742, width: 595, height: 100, color: p.color });
    page.drawText(p.title, { x: 40, y: 780, size: 30, font, color: rgb(1, 1, 1) });
    page.drawText(`Page ${i + 1} of 3`, { x: 40, y: 60, size: 12, font: body });
    if (p.draw === 'bars') {
      [220, 310, 260, 400].forEach((h, j) => page.drawRectangle({ x: 80 + j * 110, y: 200, width: 70, height: h, color: p.color }));
    } else if (p.draw === 'circles') {
      [[180, 500, 90], [380, 420, 130], [250, 250, 60]].forEach(([x, y, r]) => page.drawCircle({ x: x, y: y, size: r, color: p.color, opacity: 0.7 }));
    } else {
      const pts = [[60, 250], [160, 330], [260, 300], [360, 480], [460, 520], [540, 640]];
      for (let j = 1; j < pts.length; j++) {
        page.drawLine({ start: { x: pts[j - 1][0], y: pts[j - 1][1] }, end: { x: pts[j][0], y: pts[j][1] }, thickness: 6, color: p.color });
      }
    }
  });
  doc.setTitle('Sample report');
  await writeFile(out('report.pdf'), await doc.save());
}

async function fontSubset() {
  const source = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
  const codePoints = Array.from({ length: 0x7e - 0x20 + 1 }, (_, i) => 0x20 + i);
  const font = Font.create(await readFile(source), { type: 'ttf', subset: codePoints, hinting: true });
  await writeFile(out('dejavu-sans-subset.ttf'), font.write({ type: 'ttf', hinting: true }) as Buffer);
  await copyFile('/usr/share/doc/fonts-dejavu-core/copyright', out('DEJAVU-LICENSE.txt'));
}

const notes = `---
title: Release notes
---

# Release notes

This sample document converts to **DOCX** and **EPUB** with pandoc.

## What changed

- Faster image conversions
- Multi-page PDFs come back as one ZIP of pages
- Cancel stops a running conversion at once

| Format | Tool |
|--------|------|
| Images | sharp |
| Video  | ffmpeg |

> Outputs expire one hour after the job completes.
`;

function zipBundle(): Promise<void> {
  const zip = new yazl.ZipFile();
  zip.addFile(out('notes.md'), 'bundle/notes.md', { mtime: new Date('2025-01-01T00:00:00Z') });
  zip.addFile(out('badge.svg'), 'bundle/images/badge.svg', { mtime: new Date('2025-01-01T00:00:00Z') });
  zip.end();
  return new Promise((resolve, reject) => {
    zip.outputStream.pipe(createWriteStream(out('bundle.zip'))).on('close', resolve).on('error', reject);
  });
}

function run(command: string, args: string[]) {
  execFileSync(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
}

await photo('photo-harbor.png', 640, 427, harbor, 'png');
await photo('photo-forest.jpg', 1280, 854, forest, 'jpg');
await writeFile(out('badge.svg'), badge);
await report();
await fontSubset();
await writeFile(out('notes.md'), notes);
await zipBundle();
run('pandoc', ['-f', 'markdown', '-t', 'docx', '-o', out('letter.docx'), out('notes.md')]);
run('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=2', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=2',
  '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '30', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '64k', '-shortest', '-movflags', '+faststart', out('clip.mp4')]);
run('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=523:duration=2', '-f', 'lavfi', '-i', 'sine=frequency=659:duration=2',
  '-filter_complex', 'amix=inputs=2', '-c:a', 'libmp3lame', '-b:a', '64k', out('tone.mp3')]);
console.log('samples written to', dir);
