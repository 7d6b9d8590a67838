/** The five job statuses of the Convert API, exactly as the wire spells them (PascalCase, one "l"). */
export const JOB_STATUSES = ['Queued', 'Running', 'Succeeded', 'Failed', 'Canceled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const TERMINAL_STATUSES: readonly JobStatus[] = ['Succeeded', 'Failed', 'Canceled'];

export function isJobStatus(value: unknown): value is JobStatus {
  return typeof value === 'string' && (JOB_STATUSES as readonly string[]).includes(value);
}

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}
