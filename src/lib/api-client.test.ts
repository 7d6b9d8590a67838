import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, requestJson } from './api-client.ts';

afterEach(() => vi.unstubAllGlobals());

describe('api client', () => {
  it('throws ApiError with the envelope code, detail and Retry-After for a non-2xx answer', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify({ error: 'queue.limit_exceeded', detail: 'full' }), { status: 429, headers: { 'Retry-After': '7' } })));
    const error = await requestJson('/api/x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 429, code: 'queue.limit_exceeded', detail: 'full', retryAfterSeconds: 7 });
  });

  it('turns a failed connection into status 0 and code network_error', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))));
    await expect(requestJson('/api/x')).rejects.toMatchObject({ status: 0, code: 'network_error' });
  });

  it('sends X-Requested-With on state-changing requests only', async () => {
    const fetchMock = vi.fn(async () => new Response(null, { status: 204 }));
    vi.stubGlobal('fetch', fetchMock);
    await requestJson('/api/batches/b', { method: 'DELETE' });
    await requestJson('/api/batches');
    const calls = fetchMock.mock.calls as unknown as [string, RequestInit][];
    expect(new Headers(calls[0][1].headers).get('X-Requested-With')).toBe('fetch');
    expect(new Headers(calls[1][1].headers).get('X-Requested-With')).toBeNull();
  });
});
