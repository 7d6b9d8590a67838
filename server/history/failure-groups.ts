/**
 * Failed jobs grouped by error code and, within a code, by detail text when that text repeats: "42 ×
 * convert.failed: Unsupported PDF version" is one thing to fix, 42 different details are not. Largest first.
 */
import type { FailureGroup } from '../../contract/insight-api.ts';

export interface FailedJob {
  jobId: string;
  code: string;
  detail: string | null;
}

export function failureGroups(jobs: readonly FailedJob[]): FailureGroup[] {
  const byCode = new Map<string, FailedJob[]>();
  for (const job of jobs) {
    const list = byCode.get(job.code);
    if (list) list.push(job);
    else byCode.set(job.code, [job]);
  }
  const groups: FailureGroup[] = [];
  for (const [code, list] of byCode) {
    const byDetail = new Map<string, FailedJob[]>();
    for (const job of list) {
      if (job.detail === null) continue;
      const same = byDetail.get(job.detail);
      if (same) same.push(job);
      else byDetail.set(job.detail, [job]);
    }
    const repeated = [...byDetail.entries()].filter(([, same]) => same.length > 1);
    // One repeated detail covering the whole code says the same thing twice: keep the code's group only.
    if (repeated.length === 1 && repeated[0][1].length === list.length) {
      groups.push(group(code, repeated[0][0], list));
      continue;
    }
    const inRepeated = new Set<string>();
    for (const [detail, same] of repeated) {
      groups.push(group(code, detail, same));
      for (const job of same) inRepeated.add(job.jobId);
    }
    const rest = list.filter((job) => !inRepeated.has(job.jobId));
    if (rest.length > 0) groups.push(group(code, null, rest));
  }
  return groups.sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
}

function group(code: string, detail: string | null, jobs: readonly FailedJob[]): FailureGroup {
  return { code, detail, count: jobs.length, exampleJobId: jobs[0].jobId, jobIds: jobs.map((j) => j.jobId) };
}
