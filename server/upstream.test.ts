import { describe, expect, it } from 'vitest';
import { upstreamFailure } from './upstream.ts';

describe('an upstream request that got no answer', () => {
  it.each(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])('is a 504 upstream.timeout after %s', (code) => {
    expect(upstreamFailure(Object.assign(new Error('timeout'), { code }))).toEqual({
      status: 504,
      code: 'upstream.timeout',
      detail: 'The Convert API did not answer in time.',
    });
  });

  it('is a 502 upstream.unreachable when the connection failed', () => {
    expect(upstreamFailure(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toMatchObject({ status: 502, code: 'upstream.unreachable' });
    expect(upstreamFailure(null)).toMatchObject({ status: 502, code: 'upstream.unreachable' });
  });
});
