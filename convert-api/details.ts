import { realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function withRealPath(dir: string): string[] {
  try {
    const real = realpathSync(dir);
    return real === dir ? [dir] : [dir, real];
  } catch {
    return [dir];
  }
}

/**
 * An absolute path of two or more parts, not inside a URL (`http://host/a/b`: its slashes follow `:` or a word).
 * Stops at white space, quotes and brackets, which tools put around paths.
 */
const ABSOLUTE_PATH = /(?<![\w.:/\\-])\/(?:[^\s/'"()<>[\]{},;]+\/)+[^\s/'"()<>[\]{},;]*/g;

/**
 * The one place an error detail is made fit for a client: every absolute server path in it (the data folder, the
 * temp folder, a tool's own files) becomes the file's base name, so that `unable to write "/srv/data/work/…/output.png"`
 * reads `unable to write "output.png"`. Used for every job error detail and every error envelope the service sends.
 */
export function publicDetail(detail: string, dataDir: string): string {
  let text = detail;
  // The known folders first, since they may hold spaces or brackets that the general pattern stops at.
  const roots = [...withRealPath(path.resolve(dataDir)), ...withRealPath(os.tmpdir())].filter((r) => r.length > 1);
  for (const root of roots.sort((a, b) => b.length - a.length)) {
    let at = text.indexOf(root);
    while (at !== -1) {
      const rest = text.slice(at + root.length);
      const tail = /^(?:\/[^\s/'"()<>[\]{},;]*)*/.exec(rest)?.[0] ?? '';
      const base = tail.split('/').filter(Boolean).at(-1) ?? 'a server folder';
      text = text.slice(0, at) + base + rest.slice(tail.length);
      at = text.indexOf(root, at + base.length);
    }
  }
  return text.replace(ABSOLUTE_PATH, (match) => match.split('/').filter(Boolean).at(-1) ?? match);
}
