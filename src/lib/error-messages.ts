import { ErrorCode, type KnownErrorCode } from '../../contract/errors.ts';
import { ApiError } from './api-client.ts';

export interface ErrorMessage {
  /** What happened, in a plain sentence. */
  message: string;
  /** What the operator can do next. */
  next: string;
}

/** Every code of the contract (and the dashboard's local ones) → a sentence and a next step. One table. */
export const ERROR_MESSAGES: Record<KnownErrorCode, ErrorMessage> = {
  [ErrorCode.apiKeyInvalid]: {
    message: "The dashboard server's API key was refused by the Convert API (wrong key or IP not allowed).",
    next: 'Set FAST_API_KEY and restart the server.',
  },
  [ErrorCode.jobsForbidden]: {
    message: 'This job belongs to another Convert API account.',
    next: 'Remove it from the batch, or open it with the key of the account that created it.',
  },
  [ErrorCode.jobsNotFound]: {
    message: 'The Convert API does not know this job (deleted, forgotten after 24 hours, or never created).',
    next: 'Remove it from the batch.',
  },
  [ErrorCode.jobsNotReady]: {
    message: 'This job has no output to download yet.',
    next: 'Wait until it has succeeded.',
  },
  [ErrorCode.jobsNotCancellable]: {
    message: 'Only queued or running jobs can be canceled; this one has already finished.',
    next: 'Delete it instead if you no longer need it.',
  },
  [ErrorCode.jobsNotDeletable]: {
    message: 'A queued or running job cannot be deleted.',
    next: 'Cancel it first, then delete it.',
  },
  [ErrorCode.jobsExpired]: {
    message: 'The output of this job has expired and was removed by the Convert API.',
    next: 'Convert the file again if you still need it.',
  },
  [ErrorCode.invalidContentType]: {
    message: 'The upload was not sent as multipart/form-data.',
    next: 'Upload the file again from this dashboard.',
  },
  [ErrorCode.noFiles]: { message: 'The upload contained no file.', next: 'Choose a file and upload again.' },
  [ErrorCode.emptyFile]: { message: 'The file is empty.', next: 'Choose a file with content.' },
  [ErrorCode.invalidParameter]: {
    message: 'A parameter of the request was not accepted.',
    next: 'Check the target format and options, then try again.',
  },
  [ErrorCode.fileTooLarge]: {
    message: 'The file is larger than the Convert API accepts.',
    next: 'Use a smaller file or a plan with a higher limit.',
  },
  [ErrorCode.missingTargetFormat]: {
    message: 'No target format was given.',
    next: 'Choose a target format and upload again.',
  },
  [ErrorCode.unsupportedFormatPair]: {
    message: 'The Convert API cannot convert this file type to the chosen format.',
    next: 'Choose one of the supported target formats.',
  },
  [ErrorCode.unsupportedSourceFormat]: {
    message: "The file's type (its extension) is not supported.",
    next: 'Check the file name extension or convert a different file.',
  },
  [ErrorCode.invalidInput]: {
    message: 'The file could not be read as its format (damaged, or the extension does not match the content).',
    next: 'Check the file and upload it again.',
  },
  [ErrorCode.conversionFailed]: {
    message: 'The conversion failed.',
    next: 'Try again later, or with a different target format. Credits for failed jobs are refunded.',
  },
  [ErrorCode.queueLimitExceeded]: {
    message: 'The account already has the maximum number of queued and running jobs.',
    next: 'The upload continues automatically when a slot frees up.',
  },
  [ErrorCode.rateLimited]: {
    message: 'Too many requests to the Convert API for now.',
    next: 'The dashboard waits and tries again on its own.',
  },
  [ErrorCode.notFound]: { message: 'That address does not exist.', next: 'Go back to the batches.' },
  [ErrorCode.methodNotAllowed]: {
    message: 'The server does not allow this action on that address.',
    next: 'Reload the page; the dashboard may be newer than this tab.',
  },
  [ErrorCode.storageFull]: {
    message: 'The server has run out of disk space, so it could not store the request.',
    next: 'Free disk space on the server (or raise its quota), then try again.',
  },
  [ErrorCode.invalidJobId]: {
    message: 'That is not a valid job id (32 hex characters, or the hyphenated 8-4-4-4-12 form).',
    next: 'Check the id and try again.',
  },
  [ErrorCode.misdirected]: {
    message: 'The dashboard server refused this host name.',
    next: 'Open the dashboard through localhost or a host listed in ALLOWED_HOSTS.',
  },
  [ErrorCode.crossOrigin]: {
    message: 'The dashboard server refused a request that did not come from its own page.',
    next: 'Reload the dashboard and try again from its own address.',
  },
  [ErrorCode.unauthorized]: {
    message: 'The dashboard asks for a sign-in.',
    next: 'Reload the page and enter the dashboard password.',
  },
  [ErrorCode.upstreamUnreachable]: {
    message: 'The dashboard server cannot reach the Convert API.',
    next: 'Check FAST_API_BASE and the network; the dashboard retries on its own.',
  },
  [ErrorCode.upstreamRedirectRefused]: {
    message: 'The Convert API answered with a redirect to another host, which the dashboard refuses to follow.',
    next: 'Check FAST_API_BASE.',
  },
  [ErrorCode.upstreamTimeout]: {
    message: 'The Convert API did not answer in time.',
    next: 'The dashboard retries on its own; try the action again in a moment.',
  },
  [ErrorCode.upstreamBadResponse]: {
    message: 'The Convert API sent an answer the dashboard server could not understand.',
    next: 'Check that FAST_API_BASE points at the Convert API; try again in a moment.',
  },
  [ErrorCode.invalidBody]: {
    message: 'The dashboard server could not read the request.',
    next: 'Reload the page and try again.',
  },
  [ErrorCode.batchNotFound]: {
    message: 'This batch does not exist (it may have been deleted).',
    next: 'Go back to the batches.',
  },
  [ErrorCode.jobNotInBatch]: {
    message: 'This job is not part of the batch (it may have been removed).',
    next: 'Reload the batch.',
  },
  [ErrorCode.payloadTooLarge]: {
    message: 'The request is too large for the dashboard server.',
    next: 'Send fewer ids at once, or split the file.',
  },
  [ErrorCode.uploadStalled]: {
    message: 'The upload stopped arriving at the dashboard server, so it was given up.',
    next: 'Check the network connection and upload the file again.',
  },
  [ErrorCode.tooManyUploads]: {
    message: 'This browser already has as many uploads running as the dashboard server allows.',
    next: 'Wait for one to finish; the next upload can then start.',
  },
  [ErrorCode.tooManyJobs]: {
    message: 'That would list more jobs than the dashboard allows (MAX_JOBS_PER_BATCH per batch, MAX_JOBS_TOTAL in all).',
    next: 'Split the ids over several batches, or delete batches you no longer need.',
  },
  [ErrorCode.storageUnavailable]: {
    message: "The dashboard server's database file was removed while it ran: nothing can be saved.",
    next: 'Restart the dashboard server (it starts with an empty database if the file is gone).',
  },
  [ErrorCode.upstreamRestarting]: {
    message: 'The bundled Convert service stopped unexpectedly and is restarting.',
    next: 'Wait a few seconds; the dashboard goes on by itself.',
  },
  [ErrorCode.demoUnavailable]: {
    message: 'The demo batch cannot be created: the Convert API offers none of the sample conversions.',
    next: 'Create a batch from your own files or job ids instead.',
  },
  [ErrorCode.spoolFull]: {
    message: 'The dashboard has no room left to keep uploaded files.',
    next: 'Wait for waiting files to be sent, delete finished batches (their sources go with them), or raise SPOOL_MAX_GB.',
  },
  [ErrorCode.demoUnsupportedPair]: {
    message: 'The Convert API does not offer this sample conversion, so it was skipped.',
    next: 'Nothing to do; the other samples were submitted.',
  },
  [ErrorCode.jobDeleted]: {
    message: 'This job was deleted through the dashboard; its output is gone.',
    next: 'Remove it from the batch to stop listing it.',
  },
  [ErrorCode.networkError]: {
    message: 'The dashboard server cannot be reached (network lost or server stopped).',
    next: 'The page reconnects on its own; the data shown is the last received.',
  },
};

/** Not an error code: the batch page's event stream dropped and the page is fetching the batch again. */
export const LIVE_STREAM_DROPPED: ErrorMessage = {
  message: 'The live updates from the dashboard server stopped.',
  next: 'The page is fetching the batch again and goes on by polling.',
};

function isKnownCode(code: string): code is KnownErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_MESSAGES, code);
}

/** A message for any code, including ones the contract does not name (their detail and status are shown). */
export function describeErrorCode(code: string, detail: string | null = null, status?: number): ErrorMessage {
  if (isKnownCode(code)) return ERROR_MESSAGES[code];
  const parts = [detail ?? 'The request failed.', status ? `(${code}, HTTP ${status})` : `(${code})`];
  return { message: parts.join(' '), next: 'Try again; if it keeps failing, check the dashboard server log.' };
}

export function describeError(error: unknown): ErrorMessage {
  if (error instanceof ApiError) return describeErrorCode(error.code, error.detail, error.status);
  if (error instanceof Error) return { message: error.message, next: 'Reload the page.' };
  return { message: 'Something went wrong.', next: 'Reload the page.' };
}

/** One line for compact places (a row, a toast): sentence + next step. */
export function errorSentence(error: unknown): string {
  const { message, next } = describeError(error);
  return `${message} ${next}`;
}
