import { describe, expect, it } from 'vitest';
import type { BatchJob } from '../../contract/dashboard-api.ts';
import { canSendAgain, noSendAgainReason } from '../lib/api/submit-file.ts';
import { attemptsNote } from './submission-actions.tsx';

function job(overrides: Partial<BatchJob>): BatchJob {
  return {
    id: '019c56457340753ba9441d7b4e6516a0', state: 'Failed', fileName: 'a.png', targetFormat: 'jpg', addedAt: '2026-01-01T00:00:00.000Z',
    submittedAt: null, last: null, lastCheckedAt: null, lastSeenActiveAt: null, firstSeenRunningAt: null, firstSeenTerminalAt: null, downloadedAt: null,
    outputExpired: false, expiry: null, problem: null, kept: null, keepProblem: null, submission: null, ...overrides,
  };
}

const spooled = { id: 'sub_000000000000000000000001', attempt: 1, history: [], sourceKept: true };

describe('sending a row again', () => {
  it('is offered for failed, canceled, in-doubt and expired uploads whose source is kept, and nothing else', () => {
    expect(canSendAgain(job({ submission: spooled }))).toBe(true);
    expect(canSendAgain(job({ state: 'Canceled', submission: spooled }))).toBe(true);
    expect(canSendAgain(job({ state: 'InDoubt', submission: spooled }))).toBe(true);
    expect(canSendAgain(job({ state: 'Succeeded', outputExpired: true, submission: spooled }))).toBe(true);
    expect(canSendAgain(job({ state: 'Succeeded', submission: spooled }))).toBe(false);
    expect(canSendAgain(job({ state: 'Running', submission: spooled }))).toBe(false);
    expect(canSendAgain(job({ submission: { ...spooled, sourceKept: false } }))).toBe(false);
    expect(canSendAgain(job({}))).toBe(false);
  });

  it('says why a finished row has no "Send again"', () => {
    expect(noSendAgainReason(job({}))).toMatch(/Added by id/);
    expect(noSendAgainReason(job({ submission: { ...spooled, sourceKept: false } }))).toMatch(/source file was deleted/);
    expect(noSendAgainReason(job({ submission: spooled }))).toBeNull();
    expect(noSendAgainReason(job({ state: 'Running' }))).toBeNull();
  });

  it('sums up the attempts: "attempt 2; attempt 1 failed: convert.invalid_input"', () => {
    expect(attemptsNote(job({ submission: spooled }))).toBeNull();
    const history = [{ attempt: 1, jobId: null, outcome: 'Failed', error: 'convert.invalid_input', at: '2026-01-01T00:00:00.000Z' }];
    expect(attemptsNote(job({ submission: { ...spooled, attempt: 2, history } }))).toBe('attempt 2; attempt 1 failed: convert.invalid_input');
  });
});
