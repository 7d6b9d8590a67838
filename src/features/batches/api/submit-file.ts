import type { BatchJob, SubmitFileResponse } from '../../../../contract/dashboard-api.ts';
import { requestJson } from '../../../lib/api-client.ts';

/**
 * Uploads one file into the batch; the server streams it to `POST /convert` and records the job before it
 * answers. Never retried automatically: a submission is not idempotent (a 429 means it was not accepted).
 */
export async function submitFile(batchId: string, file: File, targetFormat: string, signal?: AbortSignal): Promise<BatchJob> {
  const params = new URLSearchParams({ targetFormat, fileName: file.name });
  const form = new FormData();
  form.append('file', file, file.name);
  const result = await requestJson<SubmitFileResponse>(`/api/batches/${encodeURIComponent(batchId)}/files?${params}`, {
    method: 'POST',
    body: form,
    signal,
  });
  return result.job;
}
