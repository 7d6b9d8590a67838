import type { ConvertLimits } from './limits.ts';

/**
 * The seam between the service core (routes, store, queue) and the converters.
 * The core owns files, job state, progress bookkeeping, cancellation and ZIP packaging of multi-output jobs;
 * a converter only turns one input file into one or more output files.
 */

/** Parsed, validated converter options (from the `options` JSON string of `POST /convert`). */
export interface ConverterOptions {
  resize?: { enabled: boolean; preset?: string; width?: number; height?: number };
  [name: string]: unknown;
}

export interface ConvertContext {
  /** The uploaded file, complete, on disk. */
  inputPath: string;
  /** Canonical lower-case source format (`jpg`, `tiff`, `tar.gz` …). */
  sourceFormat: string;
  /** The original file name without its extension, e.g. `report` for `report.pdf`. */
  stem: string;
  /** An empty folder that belongs to this job run; write outputs here. */
  outputDir: string;
  options: ConverterOptions;
  /** Aborted when the job is canceled or the service shuts down: stop at once, kill child processes. */
  signal: AbortSignal;
  /** Report progress of the conversion itself, 0–100 (the core maps it and keeps it monotonic). */
  onProgress(percent: number, phase?: string): void;
  /** The service's pixel and memory caps (see limits.ts). */
  limits: ConvertLimits;
}

export interface ConvertResult {
  /** Absolute paths of the output files inside `outputDir`, in page order. One file → served as is; more → ZIP. */
  files: string[];
}

export interface Converter {
  /** `{category-word}.{source}-to-{target}`, e.g. `image.png-to-jpg`, `document.pdf-to-jpg`. */
  id: string;
  /** Display category: `Images`, `Documents`, `Audio`, `Video`, `Fonts`, `Archives`, `Ebooks`. */
  category: string;
  sourceFormats: string[];
  targetFormat: string;
  outputExtension: string;
  /** MIME type of one output file. */
  contentType: string;
  creditCost: number;
  /** Option names this converter accepts in `options` (others → 400 request.invalid_parameter). */
  optionNames: string[];
  /** Returns a human sentence when the options are invalid, else null. */
  validateOptions?(options: ConverterOptions): string | null;
  run(ctx: ConvertContext): Promise<ConvertResult>;
}

/**
 * A converter that fails because of its input throws this; the job ends `Failed` with this code and detail.
 * Any other exception ends the job `Failed` with `convert.failed`.
 */
export class ConversionError extends Error {
  constructor(
    readonly code: string,
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'ConversionError';
  }
}
