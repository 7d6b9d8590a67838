import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_LIMITS, type ConvertLimits } from './limits.ts';
import { loadConverters } from './registry.ts';
import type { Converter, ConverterOptions, ConvertResult } from './types.ts';

export const SAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../samples');
export const sample = (name: string) => path.join(SAMPLES, name);

export async function converter(id: string): Promise<Converter> {
  const found = (await loadConverters()).find((c) => c.id === id);
  if (!found) throw new Error(`converter ${id} is not offered on this machine`);
  return found;
}

const created: string[] = [];

/** A temp folder; every one made here (output folders of `runConverter` included) goes at `removeTempDirs()`. */
export async function tempDir(prefix = 'conv-test-'): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** For each test file's `afterAll`. */
export async function removeTempDirs(): Promise<void> {
  await Promise.all(created.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

export interface RunOutcome extends ConvertResult {
  outputDir: string;
  progress: number[];
}

/** Runs a converter as the core would: a fresh output folder, a signal, progress collected. */
export async function runConverter(
  id: string,
  inputPath: string,
  options: ConverterOptions = {},
  extra: { signal?: AbortSignal; onProgress?: (p: number) => void; outputDir?: string; limits?: Partial<ConvertLimits> } = {},
): Promise<RunOutcome> {
  const c = await converter(id);
  const outputDir = extra.outputDir ?? (await tempDir('conv-out-'));
  const progress: number[] = [];
  const result = await c.run({
    inputPath,
    sourceFormat: c.sourceFormats[0],
    stem: path.basename(inputPath).replace(/\.[^.]+$/, ''),
    outputDir,
    options,
    signal: extra.signal ?? new AbortController().signal,
    limits: { ...DEFAULT_LIMITS, ...extra.limits },
    onProgress: (p) => {
      progress.push(p);
      extra.onProgress?.(p);
    },
  });
  return { ...result, outputDir, progress };
}

export async function listDir(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}
