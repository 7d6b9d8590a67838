/**
 * `npm start` serves dist/; it builds it first when it is missing or older than the app's sources, so an
 * operator never sees a stale or absent UI.
 */
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

async function newestMtime(target: string): Promise<number> {
  let info;
  try {
    info = await stat(target);
  } catch {
    return 0;
  }
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const entry of await readdir(target)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    newest = Math.max(newest, await newestMtime(path.join(target, entry)));
  }
  return newest;
}

export async function isAppBuildStale(root: string, distDir: string): Promise<boolean> {
  const index = path.join(distDir, 'index.html');
  if (!existsSync(index)) return true;
  const built = (await stat(index)).mtimeMs;
  const sources = ['src', 'public', 'index.html', 'vite.config.ts', 'tailwind.config.js'].map((p) => path.join(root, p));
  for (const source of sources) {
    if ((await newestMtime(source)) > built) return true;
  }
  return false;
}

export async function buildAppIfStale(root: string, distDir: string): Promise<boolean> {
  if (!(await isAppBuildStale(root, distDir))) return false;
  const { build } = await import('vite');
  await build({ root, logLevel: 'warn', build: { outDir: distDir, emptyOutDir: true } });
  return true;
}
