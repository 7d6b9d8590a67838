import { describe, expect, it } from 'vitest';
import type { BatchSnapshot, TrackedState } from '../../contract/dashboard-api.ts';
import { ApiError } from './api-client.ts';
import { ERROR_POLL_MS, FAST_POLL_MS, JOB_POLL_MS, SLOW_POLL_MS, jobPollInterval, shouldRetry, snapshotPollInterval } from './polling.ts';
import { makeJob } from '../testing/render.tsx';
import { compactSnapshot, type CompactSnapshot } from './batch-jobs.ts';

function snapshot(states: TrackedState[], extra: Partial<BatchSnapshot> = {}): CompactSnapshot {
  return compactSnapshot({
    batch: {} as BatchSnapshot['batch'],
    outputs: { keep: false, skippedForSpace: 0, usedBytes: 0, limitBytes: 1, keepDays: 7 },
    jobs: states.map((state, i) => makeJob({ id: String(i).padStart(32, '0'), state })),
    upstream: { state: 'ok', error: null, since: null },
    serverTime: '2026-11-29T10:00:00Z',
    retentionSeconds: 3600,
    ...extra,
  });
}

describe('snapshot poll interval', () => {
  it('polls fast while any job is queued, running or not seen yet', () => {
    expect(snapshotPollInterval(snapshot(['Succeeded', 'Running']))).toBe(FAST_POLL_MS);
    expect(snapshotPollInterval(snapshot(['Failed', 'Queued']))).toBe(FAST_POLL_MS);
    expect(snapshotPollInterval(snapshot(['Canceled', 'Unknown']))).toBe(FAST_POLL_MS);
  });

  it('polls slowly while finished outputs are still waiting to expire', () => {
    expect(snapshotPollInterval(snapshot(['Succeeded', 'Failed']))).toBe(SLOW_POLL_MS);
  });

  it('stops when nothing in the batch can change any more', () => {
    expect(snapshotPollInterval(snapshot(['Failed', 'Canceled', 'Gone', 'Forbidden']))).toBe(false);
    expect(snapshotPollInterval(snapshot([]))).toBe(false);
  });

  it('keeps polling slowly while the upstream has a problem, so the banner clears on its own', () => {
    for (const state of ['unauthorized', 'unreachable', 'rate_limited'] as const) {
      expect(snapshotPollInterval(snapshot(['Failed'], { upstream: { state, error: null, since: null } })), state).toBe(SLOW_POLL_MS);
    }
  });

  it('stops for a finished batch while the upstream is not asked yet (after a restart), instead of staying "Live"', () => {
    expect(snapshotPollInterval(snapshot(['Failed', 'Gone'], { upstream: { state: 'unknown', error: null, since: null } }))).toBe(false);
  });

  it('polls before the first snapshot arrives and backs off after an error, honouring Retry-After', () => {
    expect(snapshotPollInterval(undefined)).toBe(FAST_POLL_MS);
    expect(snapshotPollInterval(undefined, new ApiError(0, 'network_error', null))).toBe(ERROR_POLL_MS);
    expect(snapshotPollInterval(undefined, new ApiError(429, 'rate_limited', null, 12))).toBe(12_000);
  });
});

describe('job poll interval', () => {
  it('polls active jobs and returns false on each terminal status', () => {
    expect(jobPollInterval('Queued')).toBe(JOB_POLL_MS);
    expect(jobPollInterval('Running')).toBe(JOB_POLL_MS);
    for (const status of ['Succeeded', 'Failed', 'Canceled'] as const) expect(jobPollInterval(status)).toBe(false);
  });

  it('stops for a job that is gone or not ours, and retries later for transient errors', () => {
    expect(jobPollInterval(undefined, new ApiError(404, 'jobs.not_found', null))).toBe(false);
    expect(jobPollInterval(undefined, new ApiError(403, 'jobs.forbidden', null))).toBe(false);
    expect(jobPollInterval(undefined, new ApiError(502, 'upstream.unreachable', null))).toBe(ERROR_POLL_MS);
  });
});

describe('retry policy', () => {
  it('retries network failures, 5xx, 408 and 429 twice, and never other 4xx', () => {
    expect(shouldRetry(0, new ApiError(0, 'network_error', null))).toBe(true);
    expect(shouldRetry(1, new ApiError(503, 'x', null))).toBe(true);
    expect(shouldRetry(0, new ApiError(429, 'rate_limited', null))).toBe(true);
    expect(shouldRetry(2, new ApiError(503, 'x', null))).toBe(false);
    expect(shouldRetry(0, new ApiError(404, 'jobs.not_found', null))).toBe(false);
    expect(shouldRetry(0, new ApiError(401, 'api_key.invalid_or_ip_not_allowed', null))).toBe(false);
  });
});
