import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../contract/errors.ts';
import { ApiError } from '../../lib/api-client.ts';
import { freshnessView, type FreshnessInput } from './freshness-state.ts';

const WELL: FreshnessInput = { error: null, upstream: { state: 'ok' }, visible: true, changing: true, hasJobs: true };

describe('the freshness line', () => {
  it('reads "Live" only while the connection and the upstream are both well', () => {
    expect(freshnessView(WELL)).toEqual({ label: 'Live', tone: 'live', stale: null });
    expect(freshnessView({ ...WELL, changing: false })).toMatchObject({ label: 'Final', stale: null });
  });

  it('marks the page stale when a fetch of the batch fails, leaving the reason to the banner for a lost network', () => {
    const lost = freshnessView({ ...WELL, error: new ApiError(0, ErrorCode.networkError, null) });
    expect(lost).toMatchObject({ label: 'Reconnecting…', stale: { reason: null } });
    const broken = freshnessView({ ...WELL, error: new ApiError(503, ErrorCode.storageUnavailable, null) });
    expect(broken.stale?.reason?.message).toMatch(/database file was removed/);
  });

  it('never reads "Live" with a refused key or an unreachable upstream, even for a batch still running', () => {
    expect(freshnessView({ ...WELL, upstream: { state: 'unauthorized' } })).toMatchObject({ label: 'Not updating', tone: 'error', stale: { reason: null } });
    expect(freshnessView({ ...WELL, upstream: { state: 'unreachable' } })).toMatchObject({ label: 'Not updating', stale: { reason: null } });
  });

  it('marks the page stale while a dropped live stream has not been replaced by a working poll', () => {
    expect(freshnessView({ ...WELL, streamDropped: true, polling: true }).stale?.reason?.message).toMatch(/live updates .* stopped/);
    expect(freshnessView({ ...WELL, polling: true })).toMatchObject({ label: 'Live (polling)', stale: null });
  });

  it('reads "Live" for an empty batch waiting for jobs, not "Final"', () => {
    expect(freshnessView({ ...WELL, changing: false, hasJobs: false }).label).toBe('Live');
  });
});
