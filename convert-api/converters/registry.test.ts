// @vitest-environment node
import { access, mkdir, readFile, symlink } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConverters, missingTools } from './registry.ts';
import { findExecutable } from './tools.ts';
import { removeTempDirs, sample, tempDir } from './test-utils.ts';

afterAll(removeTempDirs);

/** A PATH holding only links to the named tools, so the others look missing. */
async function pathWith(tools: string[]): Promise<string> {
  const dir = await tempDir('conv-path-');
  const bin = path.join(dir, 'bin');
  await mkdir(bin);
  for (const tool of tools) {
    const real = await findExecutable(tool, process.env.PATH ?? '');
    if (real) await symlink(real, path.join(bin, tool));
  }
  return bin;
}

describe('converter registry', () => {
  it('offers every family on this machine, with unique ids of the form category.source-to-target', async () => {
    const all = await loadConverters();
    const ids = all.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of all) {
      expect(c.id).toMatch(/^[a-z]+\.[a-z0-9.]+-to-[a-z0-9.]+$/);
      expect(c.id.endsWith(`-to-${c.targetFormat}`)).toBe(true);
      expect(c.sourceFormats).toHaveLength(1);
      expect(c.creditCost).toBe(1);
      expect(c.contentType).toMatch(/^[a-z]+\/[a-z0-9.+-]+$/);
    }
    expect(ids).toEqual(
      expect.arrayContaining([
        'image.png-to-jpg', 'image.bmp-to-webp', 'image.svg-to-avif', 'document.pdf-to-jpg', 'document.png-to-pdf',
        'document.docx-to-pdf', 'document.odt-to-pdf', 'document.md-to-docx', 'ebook.html-to-epub', 'audio.flac-to-opus',
        'video.mov-to-gif', 'video.mkv-to-mp3', 'font.otf-to-woff2', 'font.woff2-to-ttf', 'archive.tar.gz-to-zip',
      ]),
    );
    expect(new Set(all.map((c) => c.category))).toEqual(new Set(['Images', 'Documents', 'Ebooks', 'Audio', 'Video', 'Fonts', 'Archives']));
  });

  it('leaves out the converters whose tool is missing from PATH', async () => {
    const withoutFfmpeg = await loadConverters({ path: await pathWith(['pdftoppm', 'pdfinfo', 'soffice', 'pandoc']) });
    const ids = withoutFfmpeg.map((c) => c.id);
    expect(ids.some((id) => id.startsWith('audio.') || id.startsWith('video.'))).toBe(false);
    expect(ids).not.toContain('image.bmp-to-png');
    expect(ids).toContain('image.png-to-jpg');
    expect(ids).toContain('document.pdf-to-png');

    const emptyPath = await pathWith([]);
    expect(await missingTools({ path: emptyPath })).toContainEqual({ tool: 'ffmpeg', debianPackage: 'ffmpeg' });
    const bare = (await loadConverters({ path: emptyPath })).map((c) => c.id);
    expect(bare).toContain('image.png-to-jpg');
    expect(bare).toContain('font.ttf-to-woff2');
    expect(bare).toContain('archive.zip-to-tar');
    expect(bare.some((id) => /pdf-to-|docx|odt|md-to|html-to|^audio|^video/.test(id))).toBe(false);
  });

  it('can run every item of the demo batch on this machine', async () => {
    const demo = JSON.parse(await readFile(sample('demo.json'), 'utf8')) as { items: { file: string; targetFormat: string }[] };
    expect(demo.items.length).toBeGreaterThan(0);
    expect(demo.items.length).toBeLessThanOrEqual(12);
    const all = await loadConverters();
    for (const item of demo.items) {
      await access(sample(item.file));
      const source = item.file.endsWith('.tar.gz') ? 'tar.gz' : item.file.split('.').pop()!;
      expect(all.some((c) => c.sourceFormats.includes(source) && c.targetFormat === item.targetFormat), item.file).toBe(true);
    }
  });
});
