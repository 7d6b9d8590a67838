import type { ConvertContext, Converter, ConverterOptions } from './types.ts';

/**
 * One converter of a (source, target) pair, declared the way every family declares them: id
 * `{word}.{source}-to-{target}`, the target as output extension, credit cost 1.
 */
export function pairConverter(spec: {
  word: string;
  category: string;
  source: string;
  target: string;
  contentType: string;
  optionNames?: string[];
  validateOptions?: (options: ConverterOptions) => string | null;
  convert: (ctx: ConvertContext) => Promise<string[]>;
}): Converter {
  return {
    id: `${spec.word}.${spec.source}-to-${spec.target}`,
    category: spec.category,
    sourceFormats: [spec.source],
    targetFormat: spec.target,
    outputExtension: spec.target,
    contentType: spec.contentType,
    creditCost: 1,
    optionNames: spec.optionNames ?? [],
    ...(spec.validateOptions ? { validateOptions: spec.validateOptions } : {}),
    run: async (ctx) => ({ files: await spec.convert(ctx) }),
  };
}
