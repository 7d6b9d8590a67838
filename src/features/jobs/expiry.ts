import type { BatchJob } from '../../../contract/dashboard-api.ts';
import { countdownTargetMs } from '../../../contract/outputs.ts';
import { formatAgo, formatDuration, formatTime } from '../../lib/format.ts';

/** Beyond this width the completion time is too uncertain for an exact-looking countdown: show "~". */
export const WIDE_WINDOW_MS = 30_000;
export const URGENT_MS = 5 * 60_000;
export const SOON_MS = 15 * 60_000;

export type ExpiryLevel = 'ok' | 'soon' | 'urgent';

export type ExpiryView =
  | { kind: 'none' }
  | { kind: 'expired'; expiredForMs: number }
  | { kind: 'unknown'; explanation: string }
  | { kind: 'counting'; remainingMs: number; level: ExpiryLevel; approximate: boolean; explanation: string | null };

/**
 * The countdown of a succeeded job's output, in the server's clock (`nowMs + serverOffsetMs`). It counts to the
 * earliest possible deletion: conservative, because completion is only known as a window between the last
 * time the job was seen active and the first time it was seen finished.
 */
export function expiryView(job: Pick<BatchJob, 'state' | 'expiry' | 'outputExpired'>, nowMs: number, serverOffsetMs = 0): ExpiryView {
  if (job.state !== 'Succeeded' || job.expiry === null) return { kind: 'none' };
  const serverNow = nowMs + serverOffsetMs;
  if ('unknown' in job.expiry) return unknownWindowView(job.outputExpired, job.expiry.latest, serverNow);
  const earliest = Date.parse(job.expiry.earliest);
  if (job.outputExpired || Number.isNaN(earliest) || earliest <= serverNow) {
    return { kind: 'expired', expiredForMs: Number.isNaN(earliest) ? 0 : Math.max(0, serverNow - earliest) };
  }
  const remainingMs = earliest - serverNow;
  const level = levelOf(remainingMs);
  const latest = Date.parse(job.expiry.latest);
  const width = Number.isNaN(latest) ? 0 : latest - earliest;
  if (width > WIDE_WINDOW_MS) {
    return {
      kind: 'counting',
      remainingMs,
      level,
      approximate: true,
      explanation:
        `The job finished at some point in a window of ${formatDuration(width)}, so the output is deleted between ` +
        `${formatTime(job.expiry.earliest)} and ${formatTime(job.expiry.latest)}. This counts down to the earliest.`,
    };
  }
  return { kind: 'counting', remainingMs, level, approximate: false, explanation: null };
}

function levelOf(remainingMs: number): ExpiryLevel {
  return remainingMs <= URGENT_MS ? 'urgent' : remainingMs <= SOON_MS ? 'soon' : 'ok';
}

/**
 * Pasted after it finished: completion is unknown, so the output may be deleted at any moment; the only bound
 * is the latest possible deletion (first seen finished + retention), which is what the "~" countdown shows.
 */
function unknownWindowView(outputExpired: boolean, latestIso: string | undefined, serverNow: number): ExpiryView {
  const explanation =
    'The job had already finished when the dashboard first saw it, so its completion time is unknown: the output ' +
    'may be deleted at any moment, and at the latest when this countdown ends.';
  if (outputExpired) return { kind: 'expired', expiredForMs: 0 };
  const latest = latestIso ? Date.parse(latestIso) : Number.NaN;
  if (Number.isNaN(latest)) return { kind: 'unknown', explanation };
  if (latest <= serverNow) return { kind: 'expired', expiredForMs: serverNow - latest };
  const remainingMs = latest - serverNow;
  // It can vanish any moment, so never show it as relaxed.
  const level = levelOf(remainingMs) === 'ok' ? 'soon' : levelOf(remainingMs);
  return { kind: 'counting', remainingMs, level, approximate: true, explanation };
}


/** The countdown's target in the browser's clock (server-time skew removed), or null when there is none. */
export function countdownTargetLocalMs(job: Pick<BatchJob, 'state' | 'expiry'>, serverOffsetMs: number): number | null {
  if (job.state !== 'Succeeded') return null;
  const target = countdownTargetMs(job);
  return target === null ? null : target - serverOffsetMs;
}

/** What an operator reads instead of a download once the output is gone: how long ago, when that is known. */
export function expiredSentence(expiredAtLocalMs: number | null | undefined, nowMs: number): string {
  return expiredAtLocalMs != null && nowMs >= expiredAtLocalMs
    ? `This output expired ${formatAgo(nowMs - expiredAtLocalMs)} — it can no longer be downloaded.`
    : 'This output has expired — it can no longer be downloaded.';
}
