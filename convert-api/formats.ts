/**
 * File-name rules of the bundled service (CONTRACT.md, "ours"): the source format is the lower-cased
 * extension with aliases; the stem is what the output files are named after.
 */
const ALIASES: Record<string, string> = { jpeg: 'jpg', tif: 'tiff', tgz: 'tar.gz' };

export function canonicalFormat(format: string): string {
  const lower = format.trim().toLowerCase().replace(/^\./, '');
  return ALIASES[lower] ?? lower;
}

/** The last path segment of a client-supplied name: browsers and curl may send `C:\dir\a.png` or `../a.png`. */
function baseName(fileName: string): string {
  const parts = fileName.split(/[\\/]/);
  return parts[parts.length - 1] ?? '';
}

export interface ParsedFileName {
  /** Canonical source format, or null when the name has no extension. */
  sourceFormat: string | null;
  stem: string;
}

export function parseFileName(fileName: string): ParsedFileName {
  const name = baseName(fileName).trim();
  const lower = name.toLowerCase();
  for (const compound of ['.tar.gz', '.tgz']) {
    if (lower.endsWith(compound) && lower.length > compound.length) {
      return { sourceFormat: 'tar.gz', stem: name.slice(0, -compound.length) };
    }
  }
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || dot === name.length - 1) return { sourceFormat: null, stem: name || 'file' };
  return { sourceFormat: canonicalFormat(name.slice(dot + 1)), stem: name.slice(0, dot) };
}

/** `document.pdf-to-jpg` → `pdf-to-jpg`: the `{conversion}` part of a multi-output ZIP name. */
export function conversionName(converterId: string): string {
  const dot = converterId.indexOf('.');
  return dot === -1 ? converterId : converterId.slice(dot + 1);
}
