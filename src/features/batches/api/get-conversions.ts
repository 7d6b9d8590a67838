import { queryOptions, useQuery } from '@tanstack/react-query';
import type { Conversion } from '../../../../contract/job.ts';
import { requestJson } from '../../../lib/api-client.ts';
import { shouldRetry } from '../../../lib/polling.ts';
import { conversionKeys } from '../../../lib/api/query-keys.ts';

function isConversion(value: unknown): value is Conversion {
  const c = value as Conversion;
  return typeof c === 'object' && c !== null && Array.isArray(c.sourceFormats) && typeof c.targetFormat === 'string';
}

/**
 * The upstream's shape of this answer is undocumented: anything that is not `{conversions: Conversion[]}`
 * yields null, and the upload form falls back to a free-text target format.
 */
export async function getConversions(signal?: AbortSignal): Promise<Conversion[] | null> {
  const body = await requestJson<unknown>('/convert/conversions', { signal });
  const list = (body as { conversions?: unknown })?.conversions;
  if (!Array.isArray(list)) return null;
  const valid = list.filter(isConversion);
  return valid.length > 0 ? valid : null;
}

export function conversionsQueryOptions() {
  return queryOptions({
    queryKey: conversionKeys.all,
    queryFn: ({ signal }) => getConversions(signal),
    staleTime: 5 * 60_000,
    retry: shouldRetry,
  });
}

export function useConversions() {
  return useQuery(conversionsQueryOptions());
}

/** Target formats offered for every one of the given source formats (the intersection). */
export function targetsFor(conversions: Conversion[], sources: (string | null)[]): string[] {
  if (sources.length === 0) return [];
  const perSource = sources.map(
    (source) => new Set(conversions.filter((c) => source !== null && c.sourceFormats.includes(source)).map((c) => c.targetFormat)),
  );
  const [first, ...rest] = perSource;
  return [...first].filter((t) => rest.every((set) => set.has(t))).sort();
}
