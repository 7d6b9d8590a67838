/** One key factory for the batches feature: all → lists → details → detail(id). */
export const batchKeys = {
  all: ['batches'] as const,
  lists: () => [...batchKeys.all, 'list'] as const,
  details: () => [...batchKeys.all, 'detail'] as const,
  detail: (batchId: string) => [...batchKeys.details(), batchId] as const,
};

export const conversionKeys = {
  all: ['conversions'] as const,
};
