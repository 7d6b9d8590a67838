import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { archiveConverters } from './archive.ts';
import { fontConverters } from './font.ts';
import { imageConverters } from './image.ts';
import { mediaConverters } from './media.ts';
import { officeConverters } from './office.ts';
import { pdfConverters } from './pdf.ts';
import { TOOL_PACKAGES, resolveTools, type Tools } from './tools.ts';
import type { Converter } from './types.ts';

export interface LoadConvertersOptions {
  /** The PATH to look tools up in (default: process.env.PATH); tests pass a reduced one. */
  path?: string;
}

/**
 * A failed or aborted run must not leave a half-written file behind that could pass for output, so the job's
 * output folder (which belongs to this run only) is emptied before the error propagates.
 */
function withCleanup(converter: Converter): Converter {
  return {
    ...converter,
    run: async (ctx) => {
      try {
        return await converter.run(ctx);
      } catch (err) {
        const names = await readdir(ctx.outputDir).catch(() => [] as string[]);
        await Promise.all(names.map((n) => rm(path.join(ctx.outputDir, n), { recursive: true, force: true })));
        throw err;
      }
    },
  };
}

export function buildConverters(tools: Tools): Converter[] {
  return [
    ...imageConverters(tools),
    ...pdfConverters(tools),
    ...officeConverters(tools),
    ...mediaConverters(tools),
    ...fontConverters(),
    ...archiveConverters(),
  ].map(withCleanup);
}

/** Every converter this machine can run: a converter whose external tool is missing is not offered. */
export async function loadConverters(options: LoadConvertersOptions = {}): Promise<Converter[]> {
  return buildConverters(await resolveTools(options.path));
}

/** The tools this machine lacks and the Debian package that brings each, for a start-up log line. */
export async function missingTools(options: LoadConvertersOptions = {}): Promise<{ tool: string; debianPackage: string }[]> {
  const tools = await resolveTools(options.path);
  return (Object.keys(tools) as (keyof Tools)[])
    .filter((name) => tools[name] === null)
    .map((tool) => ({ tool, debianPackage: TOOL_PACKAGES[tool] }));
}
