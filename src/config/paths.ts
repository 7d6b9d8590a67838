/** Every route of the app; links use `getHref` so no path is spelled twice. */
export const paths = {
  batches: {
    path: '/',
    getHref: () => '/',
  },
  batch: {
    path: '/batches/:batchId',
    getHref: (batchId: string, search?: URLSearchParams | string) => {
      const query = search ? String(search) : '';
      return `/batches/${encodeURIComponent(batchId)}${query ? `?${query}` : ''}`;
    },
  },
  batchJob: {
    path: '/batches/:batchId/jobs/:jobId',
    getHref: (batchId: string, jobId: string) => `/batches/${encodeURIComponent(batchId)}/jobs/${encodeURIComponent(jobId)}`,
  },
  job: {
    path: '/jobs/:jobId',
    getHref: (jobId: string) => `/jobs/${encodeURIComponent(jobId)}`,
  },
} as const;

/** The Convert API, proxied same-origin by the dashboard server. */
export const convertPaths = {
  download: (jobId: string) => `/convert/job/${encodeURIComponent(jobId)}/download`,
};
