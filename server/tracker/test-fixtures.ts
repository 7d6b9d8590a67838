/** Job ids and status bodies for tests. */
import type { JobStatus } from '../../contract/status.ts';
import type { JobStatusResponse } from '../../contract/job.ts';

export function jobId(i: number): string {
  return `019c5645734075${i.toString(16).padStart(18, '0')}`;
}

export function statusBody(id: string, status: JobStatus, percent = 0): JobStatusResponse {
  return {
    id, status, progress: { percent: status === 'Succeeded' ? 100 : percent, phase: null },
    metrics: { inputBytes: 10, outputBytes: status === 'Succeeded' ? 20 : 0, creditCost: 1 },
    error: null, output: status === 'Succeeded' ? { fileName: 'a.jpg', contentType: 'image/jpeg', fileCount: 1 } : null,
  };
}

