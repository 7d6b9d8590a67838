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

/** A batch's outputs as one streamed ZIP (server/outputs): by ids, or by the page's filter. */
export const outputsZipHref = (batchId: string, select: { ids?: readonly string[]; status?: string | null; q?: string; receipt?: string | null }) => {
  const params = new URLSearchParams();
  if (select.ids) params.set('ids', select.ids.join(','));
  if (select.status) params.set('status', select.status);
  if (select.q) params.set('q', select.q);
  if (select.receipt) params.set('receipt', select.receipt);
  const query = String(params);
  return `/api/batches/${encodeURIComponent(batchId)}/outputs.zip${query ? `?${query}` : ''}`;
};

/** The Convert API, proxied same-origin by the dashboard server. */
export const convertPaths = {
  download: (jobId: string) => `/convert/job/${encodeURIComponent(jobId)}/download`,
};
