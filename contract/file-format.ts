/**
 * File name → source format, the Convert API's rule (docs/convert-api.md): the lower-cased extension of the
 * name's last path segment, with aliases. The bundled service, the demo batch and the upload form all use
 * this one function, so the form never offers a pair the service would refuse for the name.
 */
const ALIASES: Record<string, string> = { jpeg: 'jpg', tif: 'tiff', tgz: 'tar.gz' };
const COMPOUND_EXTENSIONS = ['.tar.gz', '.tgz'];

/** `JPEG`, `.jpeg` → `jpg`: a format name as the service compares it. */
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
  /** Canonical source format, or null when the name has no extension (`README`, `.png`, `photo.`). */
  sourceFormat: string | null;
  /** What output files are named after. */
  stem: string;
}

export function parseFileName(fileName: string): ParsedFileName {
  const name = baseName(fileName).trim();
  const lower = name.toLowerCase();
  for (const compound of COMPOUND_EXTENSIONS) {
    if (lower.endsWith(compound) && lower.length > compound.length) {
      return { sourceFormat: 'tar.gz', stem: name.slice(0, -compound.length) };
    }
  }
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || dot === name.length - 1) return { sourceFormat: null, stem: name || 'file' };
  return { sourceFormat: canonicalFormat(name.slice(dot + 1)), stem: name.slice(0, dot) };
}

export function sourceFormatOf(fileName: string): string | null {
  return parseFileName(fileName).sourceFormat;
}
