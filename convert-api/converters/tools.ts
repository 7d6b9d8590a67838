import { access, constants } from 'node:fs/promises';
import path from 'node:path';

/** The external programs the converters may use; null when this machine lacks one. */
export interface Tools {
  ffmpeg: string | null;
  ffprobe: string | null;
  pdftoppm: string | null;
  pdfinfo: string | null;
  soffice: string | null;
  pandoc: string | null;
}

export const TOOL_NAMES = ['ffmpeg', 'ffprobe', 'pdftoppm', 'pdfinfo', 'soffice', 'pandoc'] as const;

/** The Debian package that provides each tool, for messages and the README. */
export const TOOL_PACKAGES: Record<keyof Tools, string> = {
  ffmpeg: 'ffmpeg',
  ffprobe: 'ffmpeg',
  pdftoppm: 'poppler-utils',
  pdfinfo: 'poppler-utils',
  soffice: 'libreoffice-writer-nogui',
  pandoc: 'pandoc',
};

/** Looks a program up the way a shell would, in the given PATH (absolute path or null). */
export async function findExecutable(name: string, pathEnv: string): Promise<string | null> {
  for (const dir of pathEnv.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return null;
}

const cache = new Map<string, Promise<Tools>>();

/**
 * Resolves every tool once per PATH value. Converters then run the absolute path, so a test that passes a
 * reduced PATH gets exactly the tools it sees.
 */
export function resolveTools(pathEnv: string = process.env.PATH ?? ''): Promise<Tools> {
  let found = cache.get(pathEnv);
  if (!found) {
    found = (async () => {
      const entries = await Promise.all(TOOL_NAMES.map(async (n) => [n, await findExecutable(n, pathEnv)] as const));
      return Object.fromEntries(entries) as unknown as Tools;
    })();
    cache.set(pathEnv, found);
  }
  return found;
}
