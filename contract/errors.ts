/**
 * The error envelope every error body uses: `{error, detail}`. Some codes add fields
 * (`sourceFormat`, `targetFormat`, `supportedTargets`, `megabytes`, `isRetryable`); clients ignore unknown ones.
 */
export interface ErrorBody {
  error: string;
  detail: string | null;
  [extra: string]: unknown;
}

/** An error body together with the HTTP status it came with: what the dashboard stores and shows of a failure. */
export type Problem = ErrorBody & { status: number };

/** Codes named by CONTRACT.md and DESIGN.md. Upstream has more; clients must cope with any string. */
export const ErrorCode = {
  // Convert API
  apiKeyInvalid: 'api_key.invalid_or_ip_not_allowed',
  jobsForbidden: 'jobs.forbidden',
  jobsNotFound: 'jobs.not_found',
  jobsNotReady: 'jobs.not_ready',
  jobsNotCancellable: 'jobs.not_cancellable',
  jobsNotDeletable: 'jobs.not_deletable',
  jobsExpired: 'jobs.expired',
  invalidContentType: 'request.invalid_content_type',
  noFiles: 'request.no_files',
  emptyFile: 'request.empty_file',
  invalidParameter: 'request.invalid_parameter',
  fileTooLarge: 'request.file_too_large',
  missingTargetFormat: 'convert.missing_target_format',
  unsupportedFormatPair: 'convert.unsupported_format_pair',
  unsupportedSourceFormat: 'convert.unsupported_source_format',
  invalidInput: 'convert.invalid_input',
  conversionFailed: 'convert.failed',
  queueLimitExceeded: 'queue.limit_exceeded',
  rateLimited: 'rate_limited',
  notFound: 'not_found',
  methodNotAllowed: 'method_not_allowed',
  /** 507: the server's disk (or its database) is full. (ours: the code is not documented upstream) */
  storageFull: 'storage.full',
  // Dashboard server (local answers)
  invalidJobId: 'request.invalid_job_id',
  misdirected: 'request.misdirected',
  crossOrigin: 'request.cross_origin',
  unauthorized: 'auth.required',
  upstreamUnreachable: 'upstream.unreachable',
  upstreamRedirectRefused: 'upstream.redirect_refused',
  upstreamTimeout: 'upstream.timeout',
  upstreamBadResponse: 'upstream.bad_response',
  invalidBody: 'request.invalid_body',
  batchNotFound: 'batches.not_found',
  jobNotInBatch: 'batches.job_not_found',
  payloadTooLarge: 'request.too_large',
  uploadStalled: 'request.upload_stalled',
  tooManyUploads: 'request.too_many_uploads',
  tooManyJobs: 'batches.too_many_jobs',
  storageUnavailable: 'storage.unavailable',
  upstreamRestarting: 'upstream.restarting',
  demoUnavailable: 'demo.unavailable',
  demoUnsupportedPair: 'demo.unsupported_pair',
  spoolFull: 'spool.full',
  /** Not an answer: a Gone job this dashboard deleted itself (the row's problem, so it is not read as "unknown"). */
  jobDeleted: 'jobs.deleted',
  // Client side (thrown by the browser's fetchers)
  networkError: 'network_error',
} as const;
export type KnownErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export function errorBody(error: string, detail: string | null, extra?: Record<string, unknown>): ErrorBody {
  return { error, detail, ...extra };
}

export function isErrorBody(value: unknown): value is ErrorBody {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { error?: unknown }).error === 'string' &&
    ((value as { detail?: unknown }).detail === null ||
      (value as { detail?: unknown }).detail === undefined ||
      typeof (value as { detail?: unknown }).detail === 'string')
  );
}
