/** Key factories shared by the features: batches (all → lists → details → detail(id)), conversions, jobs. */
export const batchKeys = {
  all: ['batches'] as const,
  lists: () => [...batchKeys.all, 'list'] as const,
  details: () => [...batchKeys.all, 'detail'] as const,
  detail: (batchId: string) => [...batchKeys.details(), batchId] as const,
};

export const conversionKeys = {
  all: ['conversions'] as const,
};

export const jobKeys = {
  all: ['jobs'] as const,
  details: () => [...jobKeys.all, 'detail'] as const,
  detail: (jobId: string) => [...jobKeys.details(), jobId] as const,
};
