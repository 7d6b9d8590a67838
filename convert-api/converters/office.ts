import { copyFile, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { lastLine, runProcess } from './child-process.ts';
import { invalidInput, label, readHead, startsWith } from './sniff.ts';
import type { Tools } from './tools.ts';
import { ConversionError, type ConvertContext, type Converter } from './types.ts';
import { listZipEntries } from './zip-entries.ts';
import { pairConverter } from './pair.ts';

const DOCX_MIME = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const EPUB_MIME = 'application/epub+zip';

/**
 * LibreOffice "converts" anything (garbage becomes a PDF of text), so the container is checked first:
 * DOCX and ODT are ZIPs with a known inner layout.
 */
async function checkOfficeInput(inputPath: string, format: 'docx' | 'odt'): Promise<void> {
  const head = await readHead(inputPath, 128);
  if (!startsWith(head, [0x50, 0x4b, 0x03, 0x04])) throw invalidInput(`The file is not a ${label(format)} document: it is not a ZIP container.`);
  let names: string[];
  try {
    names = (await listZipEntries(inputPath)).map((e) => e.name);
  } catch {
    throw invalidInput(`The ${label(format)} document is damaged: its ZIP container cannot be read.`);
  }
  if (format === 'docx' && !names.includes('word/document.xml')) {
    throw invalidInput('The file is not a DOCX document: it has no word/document.xml.');
  }
  if (format === 'odt' && !(head.includes('application/vnd.oasis.opendocument.text') && names.includes('content.xml'))) {
    throw invalidInput('The file is not an ODT text document: its mimetype entry is missing or of another kind.');
  }
}

async function officeToPdf(ctx: ConvertContext, source: 'docx' | 'odt', soffice: string): Promise<string[]> {
  ctx.onProgress(1, 'reading');
  await checkOfficeInput(ctx.inputPath, source);
  const work = await mkdtemp(path.join(os.tmpdir(), 'convert-soffice-'));
  try {
    // A profile per run: two soffice processes sharing one profile silently do nothing.
    const profile = path.join(work, 'profile');
    const input = path.join(work, 'in', `document.${source}`);
    const outDir = path.join(work, 'out');
    await mkdir(path.dirname(input), { recursive: true });
    await copyFile(ctx.inputPath, input);
    ctx.onProgress(10, 'converting');
    const { code, stderr } = await runProcess(
      soffice,
      ['--headless', '--norestore', '--nolockcheck', '--nodefault', `-env:UserInstallation=${pathToFileURL(profile).href}`,
        '--convert-to', 'pdf', '--outdir', outDir, input],
      { signal: ctx.signal, timeoutMs: 180_000, env: { ...process.env, HOME: work } },
    );
    const produced = path.join(outDir, 'document.pdf');
    const size = await stat(produced).then((s) => s.size, () => 0);
    if (code !== 0 || size === 0) {
      throw invalidInput(`LibreOffice could not open the ${label(source)} document (${lastLine(stderr)}).`);
    }
    const outputPath = path.join(ctx.outputDir, 'output.pdf');
    await copyFile(produced, outputPath);
    return [outputPath];
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Pandoc would embed any local file an image, raw HTML tag or metadata field points at (`![](/etc/passwd)`), and
 * pandoc 2.17's --sandbox breaks the DOCX writer, so this filter drops every reference that is not inline data.
 */
const SAFE_FILTER = `
function Image(el) if el.src:match('^data:') then return el end return el.caption end
function RawInline(el) return {} end
function RawBlock(el) return {} end
function Meta(m)
  for _, k in ipairs({'cover-image','epub-cover-image','css','stylesheet','epub-embed-font','header-includes','include-before','include-after','bibliography','csl'}) do m[k] = nil end
  return m
end
`;

async function checkTextInput(inputPath: string, format: 'md' | 'html'): Promise<void> {
  const head = await readHead(inputPath, 64 * 1024);
  const text = (() => {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(head);
    } catch {
      return null;
    }
  })();
  // A cut UTF-8 sequence at the end of the sample is not an error, so only NUL bytes and a failed decode of a
  // whole (short) file count as binary.
  if (head.includes(0) || (text === null && head.length < 64 * 1024)) {
    throw invalidInput(`The file is not a ${label(format)} text file: it contains binary data.`);
  }
  if (format === 'html' && !/<\s*(!doctype|html|head|body|p|div|h[1-6]|span|table|ul|ol|section|article|main)\b/i.test(head.toString('utf8'))) {
    throw invalidInput('The file is not HTML: it has no HTML elements.');
  }
}

async function pandocConvert(ctx: ConvertContext, source: 'md' | 'html', target: 'docx' | 'epub', pandoc: string): Promise<string[]> {
  ctx.onProgress(1, 'reading');
  await checkTextInput(ctx.inputPath, source);
  const work = await mkdtemp(path.join(os.tmpdir(), 'convert-pandoc-'));
  try {
    const filter = path.join(work, 'safe.lua');
    // A default title (the file's name) that the document's own title overrides; EPUB needs one.
    const meta = path.join(work, 'meta.json');
    await writeFile(filter, SAFE_FILTER);
    await writeFile(meta, JSON.stringify({ title: ctx.stem || 'Document' }));
    const outputPath = path.join(ctx.outputDir, `output.${target}`);
    ctx.onProgress(10, 'converting');
    const { code, stderr } = await runProcess(
      pandoc,
      ['-f', source === 'md' ? 'markdown' : 'html', '-t', target === 'epub' ? 'epub3' : 'docx', '--lua-filter', filter,
        '--metadata-file', meta, '--resource-path', work, '-o', outputPath, ctx.inputPath],
      { signal: ctx.signal, timeoutMs: 120_000, cwd: work },
    );
    const size = await stat(outputPath).then((s) => s.size, () => 0);
    if (code !== 0 || size === 0) throw new ConversionError('convert.failed', `pandoc could not convert the file (${lastLine(stderr)}).`);
    return [outputPath];
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export function officeConverters(tools: Tools): Converter[] {
  const converters: Converter[] = [];
  if (tools.soffice) {
    for (const source of ['docx', 'odt'] as const) {
      converters.push(
        pairConverter({
          word: 'document', category: 'Documents', source, target: 'pdf', contentType: 'application/pdf',
          convert: (ctx) => officeToPdf(ctx, source, tools.soffice!),
        }),
      );
    }
  }
  if (tools.pandoc) {
    for (const source of ['md', 'html'] as const) {
      converters.push(
        pairConverter({
          word: 'document', category: 'Documents', source, target: 'docx', contentType: DOCX_MIME,
          convert: (ctx) => pandocConvert(ctx, source, 'docx', tools.pandoc!),
        }),
        pairConverter({
          word: 'ebook', category: 'Ebooks', source, target: 'epub', contentType: EPUB_MIME,
          convert: (ctx) => pandocConvert(ctx, source, 'epub', tools.pandoc!),
        }),
      );
    }
  }
  return converters;
}

