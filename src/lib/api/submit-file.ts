import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { BatchJob, DismissResponse, RetryResponse, SubmitFileResponse } from '../../../contract/dashboard-api.ts';
import { ErrorCode, isErrorBody } from '../../../contract/errors.ts';
import { ApiError, requestJson } from '../api-client.ts';
import { batchKeys } from './query-keys.ts';

export interface UploadProgress {
  loaded: number;
  total: number;
}

/**
 * Uploads one file into the batch's spool. The server answers 202 once the file is on its disk (before any
 * upstream call): from then on the server owns it. XMLHttpRequest, because fetch has no upload progress.
 * The body is the file itself (no multipart: nothing to parse on the server).
 */
export function uploadFile(
  batchId: string,
  file: File,
  targetFormat: string,
  options: {
    conversionOptions?: string | null;
    /** The same on every attempt of this file (newUploadKey): a repeat whose answer was lost is not kept twice. */
    uploadKey?: string;
    signal?: AbortSignal;
    onProgress?: (p: UploadProgress) => void;
  } = {},
): Promise<BatchJob> {
  const params = new URLSearchParams({ targetFormat, fileName: file.name });
  if (options.conversionOptions) params.set('options', options.conversionOptions);
  if (options.uploadKey) params.set('uploadKey', options.uploadKey);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/batches/${encodeURIComponent(batchId)}/files?${params}`);
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('X-Requested-With', 'fetch');
    xhr.upload.onprogress = (event) => options.onProgress?.({ loaded: event.loaded, total: event.lengthComputable ? event.total : file.size });
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // not JSON: handled below
      }
      if (xhr.status === 202 && body && typeof body === 'object' && 'job' in body) return resolve((body as SubmitFileResponse).job);
      const retryAfter = Number(xhr.getResponseHeader('Retry-After'));
      if (isErrorBody(body)) {
        return reject(new ApiError(xhr.status, body.error, body.detail ?? null, Number.isFinite(retryAfter) ? retryAfter : null, body));
      }
      reject(new ApiError(xhr.status, ErrorCode.upstreamBadResponse, `The dashboard answered ${xhr.status}.`));
    };
    xhr.onerror = () => reject(new ApiError(0, ErrorCode.networkError, 'The upload was interrupted.'));
    xhr.onabort = () => reject(new DOMException('Aborted', 'AbortError'));
    options.signal?.addEventListener('abort', () => xhr.abort());
    xhr.send(file);
  });
}

/**
 * A key for one file the operator hands over (`uploadKey`). getRandomValues rather than randomUUID: the dashboard
 * may be served over plain HTTP on a LAN address, where randomUUID does not exist.
 */
export function newUploadKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Sends spooled sources again (failed, canceled, expired, in doubt or refused rows). */
export function retryJobs(batchId: string, jobIds: string[]): Promise<RetryResponse> {
  return requestJson<RetryResponse>(`/api/batches/${encodeURIComponent(batchId)}/retry`, { method: 'POST', json: { jobIds } });
}

/** Drops in-doubt or refused rows that have no upstream job. */
export function dismissRows(batchId: string, ids: string[]): Promise<DismissResponse> {
  return requestJson<DismissResponse>(`/api/batches/${encodeURIComponent(batchId)}/dismiss`, { method: 'POST', json: { ids } });
}

function useInvalidate(batchId: string) {
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: batchKeys.detail(batchId) }),
      queryClient.invalidateQueries({ queryKey: batchKeys.lists() }),
    ]);
}

export function useRetryJobs(batchId: string) {
  const invalidate = useInvalidate(batchId);
  return useMutation({ mutationFn: (ids: string[]) => retryJobs(batchId, ids), onSuccess: invalidate });
}

export function useDismissRows(batchId: string) {
  const invalidate = useInvalidate(batchId);
  return useMutation({ mutationFn: (ids: string[]) => dismissRows(batchId, ids), onSuccess: invalidate });
}

/** Whether a row can be sent again from its spooled source (the server decides; this hides the button). */
export function canSendAgain(job: Pick<BatchJob, 'state' | 'outputExpired' | 'submission' | 'id'>): boolean {
  if (!job.submission?.sourceKept) return false;
  return job.state === 'Failed' || job.state === 'Canceled' || job.state === 'InDoubt' || (job.state === 'Succeeded' && job.outputExpired);
}

/** Why a finished row offers no "Send again", or null. */
export function noSendAgainReason(job: Pick<BatchJob, 'state' | 'outputExpired' | 'submission'>): string | null {
  const finished = job.state === 'Failed' || job.state === 'Canceled' || (job.state === 'Succeeded' && job.outputExpired);
  if (!finished) return null;
  if (!job.submission) return 'Added by id: no source file here to send again.';
  if (!job.submission.sourceKept) return 'Its source file was deleted: upload it again to convert it.';
  return null;
}
