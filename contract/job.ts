import type { JobStatus } from './status.ts';

/** `202` answer of `POST /convert`. */
export interface JobAcceptedResponse {
  id: string;
  status: 'Queued';
  creditCost: number;
}

export interface JobProgress {
  /** 0–100, never decreasing for a job. */
  percent: number;
  /** A short lowercase word (`queued`, `converting`, `packaging` …) or null; null on terminal jobs. */
  phase: string | null;
}

export interface JobMetrics {
  inputBytes: number;
  outputBytes: number;
  creditCost: number;
}

export interface JobError {
  code: string;
  detail: string | null;
}

export interface JobOutput {
  fileName: string;
  contentType: string;
  fileCount: number;
}

/** `200` answer of `GET /convert/job/{id}`. It has no timestamps: clients observe transitions themselves. */
export interface JobStatusResponse {
  id: string;
  status: JobStatus;
  progress: JobProgress;
  metrics: JobMetrics;
  /** Set on `Failed` jobs only. */
  error: JobError | null;
  /** Set only for a `Succeeded` job whose artifacts have not expired. */
  output: JobOutput | null;
}

/** One entry of `GET /convert/conversions` (the bundled service's shape; upstream's is undocumented). */
export interface Conversion {
  id: string;
  category: string;
  sourceFormats: string[];
  targetFormat: string;
  outputExtension: string;
  creditCost: number;
  maxFileBytes: number;
}

export interface ConversionsResponse {
  conversions: Conversion[];
}
