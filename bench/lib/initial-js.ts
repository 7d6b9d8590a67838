/** The initial JavaScript of a built app: what index.html loads up front, raw and gzip-compressed. */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

/** The scripts index.html loads before anything else happens: entry modules and their modulepreloads. */
export function initialJs(distDir: string) {
  const html = readFileSync(path.join(distDir, 'index.html'), 'utf8');
  const srcs = new Set<string>();
  for (const m of html.matchAll(/<script[^>]*type="module"[^>]*src="([^"]+)"/g)) srcs.add(m[1]);
  for (const m of html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)) srcs.add(m[1]);
  const files = [...srcs].map((src) => {
    const file = path.join(distDir, src.replace(/^\//, ''));
    const raw = readFileSync(file);
    return { src, bytes: raw.length, gzip6: gzipSync(raw, { level: 6 }).length, gzip9: gzipSync(raw, { level: 9 }).length };
  });
  return {
    builtAt: statSync(path.join(distDir, 'index.html')).mtime.toISOString(),
    files,
    bytes: files.reduce((n, f) => n + f.bytes, 0),
    gzip6: files.reduce((n, f) => n + f.gzip6, 0),
    gzip9: files.reduce((n, f) => n + f.gzip9, 0),
  };
}
