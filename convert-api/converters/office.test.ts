// @vitest-environment node
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import yazl from 'yazl';
import { createWriteStream } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countPdfPages } from './pdf.ts';
import { listDir, removeTempDirs, runConverter, sample, tempDir } from './test-utils.ts';
import { listZipEntries } from './zip-entries.ts';

let dir: string;
beforeAll(async () => {
  dir = await tempDir();
});
afterAll(removeTempDirs);

function zipOf(file: string, entries: Record<string, string>): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const [name, text] of Object.entries(entries)) zip.addBuffer(Buffer.from(text), name);
  zip.end();
  return new Promise((resolve, reject) => zip.outputStream.pipe(createWriteStream(file)).on('close', resolve).on('error', reject));
}

describe('office and text document converters', () => {
  it('turns the sample DOCX and an ODT into PDFs with two LibreOffice runs at the same time', async () => {
    // Two soffice processes sharing a profile silently do nothing; each run must have its own.
    const odt = path.join(dir, 'notes.odt');
    execFileSync('pandoc', ['-f', 'markdown', '-t', 'odt', '-o', odt, sample('notes.md')]);
    const [docxOut, odtOut] = await Promise.all([
      runConverter('document.docx-to-pdf', sample('letter.docx')),
      runConverter('document.odt-to-pdf', odt),
    ]);
    for (const out of [docxOut, odtOut]) {
      expect(await countPdfPages(out.files[0])).toBeGreaterThanOrEqual(1);
      expect(await listDir(out.outputDir)).toEqual(['output.pdf']);
    }
    // Two LibreOffice starts (a cold start makes its profile) took 26 s on a busy 2-core machine.
  }, 120_000);

  it('refuses text renamed to .docx and a ZIP that is not a Word document, before LibreOffice sees them', async () => {
    const text = path.join(dir, 'text.docx');
    await writeFile(text, 'plain words that soffice would happily print');
    const zip = path.join(dir, 'other.docx');
    await zipOf(zip, { 'readme.txt': 'hi' });
    await expect(runConverter('document.docx-to-pdf', text)).rejects.toMatchObject({ code: 'convert.invalid_input' });
    await expect(runConverter('document.docx-to-pdf', zip)).rejects.toMatchObject({ code: 'convert.invalid_input' });
    await expect(runConverter('document.odt-to-pdf', sample('letter.docx'))).rejects.toMatchObject({ code: 'convert.invalid_input' });
  });

  it('converts the sample Markdown to DOCX and EPUB with pandoc', async () => {
    const docx = await runConverter('document.md-to-docx', sample('notes.md'));
    const epub = await runConverter('ebook.md-to-epub', sample('notes.md'));
    expect((await listZipEntries(docx.files[0])).map((e) => e.name)).toContain('word/document.xml');
    const epubEntries = (await listZipEntries(epub.files[0])).map((e) => e.name);
    expect(epubEntries[0]).toBe('mimetype');
    expect(epubEntries.some((n) => n.endsWith('.xhtml'))).toBe(true);
  });

  it('does not let a document pull local files into its output', async () => {
    const md = path.join(dir, 'sneaky.md');
    await writeFile(md, '---\ntitle: x\ncover-image: /etc/hostname\n---\n\n![secret](/etc/passwd)\n\n<img src="/etc/hostname">\n');
    const html = path.join(dir, 'sneaky.html');
    await writeFile(html, '<html><body><p>hi</p><img src="/etc/passwd"></body></html>');
    for (const [id, file] of [
      ['ebook.md-to-epub', md],
      ['document.md-to-docx', md],
      ['document.html-to-docx', html],
    ] as const) {
      const out = await runConverter(id, file);
      const names = (await listZipEntries(out.files[0])).map((e) => e.name);
      expect(names.filter((n) => /media|passwd|hostname|cover/i.test(n)), id).toEqual([]);
    }
  });

  it('refuses binary content as Markdown and text without tags as HTML', async () => {
    const html = path.join(dir, 'plain.html');
    await writeFile(html, 'just words');
    await expect(runConverter('document.md-to-docx', sample('photo-harbor.png'))).rejects.toMatchObject({ code: 'convert.invalid_input' });
    await expect(runConverter('ebook.html-to-epub', html)).rejects.toMatchObject({ code: 'convert.invalid_input' });
  });
});
