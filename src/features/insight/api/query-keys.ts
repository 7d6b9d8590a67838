/** One key factory for the insight feature. */
export const insightKeys = {
  all: ['insight'] as const,
  batch: (batchId: string) => [...insightKeys.all, 'batch', batchId] as const,
  totals: () => [...insightKeys.all, 'totals'] as const,
  job: (batchId: string, jobId: string) => [...insightKeys.all, 'job', batchId, jobId] as const,
};
