// @vitest-environment node
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { answers, startFakeUpstream } from './testing/fake-upstream.ts';
import { statusBody } from './tracker/test-fixtures.ts';
import { rawRequest, type RawResponse } from './testing/raw-request.ts';
import { startHarness, TEST_KEY, type Harness, type HarnessOptions } from './testing/proxy-harness.ts';
import type { JobActionEvent } from './proxy.ts';

const ID = '0190a5b4c3d27e8f9a0b1c2d3e4f5a6b';
const HYPHEN_ID = '0190a5b4-c3d2-7e8f-9a0b-1c2d3e4f5a6b';

let harness: Harness | null = null;
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  await harness?.close();
  harness = null;
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function start(options: HarnessOptions = {}): Promise<Harness> {
  harness = await startHarness(options);
  return harness;
}

function expectNoKey(response: RawResponse) {
  expect(JSON.stringify(response.rawHeaders)).not.toContain(TEST_KEY);
  expect(response.text).not.toContain(TEST_KEY);
}

describe('the six Convert API routes', () => {
  const routes: { method: string; path: string; upstreamPath: string }[] = [
    { method: 'POST', path: '/convert?targetFormat=png', upstreamPath: '/convert?targetFormat=png' },
    { method: 'GET', path: '/convert/conversions', upstreamPath: '/convert/conversions' },
    { method: 'GET', path: `/convert/job/${ID}`, upstreamPath: `/convert/job/${ID}` },
    { method: 'GET', path: `/convert/job/${HYPHEN_ID}`, upstreamPath: `/convert/job/${HYPHEN_ID}` },
    { method: 'GET', path: `/convert/job/${ID}/download`, upstreamPath: `/convert/job/${ID}/download` },
    { method: 'POST', path: `/convert/job/${ID}/cancel`, upstreamPath: `/convert/job/${ID}/cancel` },
    { method: 'DELETE', path: `/convert/job/${ID}`, upstreamPath: `/convert/job/${ID}` },
  ];

  it.each(routes)('forwards $method $path with the server key and nothing else secret', async (route) => {
    const h = await start();
    h.fake.handle(answers.json(200, statusBody(ID, 'Running', 50)));
    const response = await rawRequest(h.base, route.path, {
      method: route.method,
      headers: {
        ...h.writeHeaders,
        accept: 'application/json',
        cookie: 'session=browser-cookie',
        authorization: 'Bearer browser-token',
        'x-fast-api-key': 'client-supplied-key',
        'x-forwarded-host': 'evil.test',
        'x-forwarded-for': '10.0.0.1',
        forwarded: 'host=evil.test',
        'x-custom': 'nope',
      },
    });
    expect(response.status).toBe(200);
    expect(h.fake.requests).toHaveLength(1);
    const received = h.fake.requests[0];
    expect(received.method).toBe(route.method);
    expect(received.url).toBe(route.upstreamPath);
    expect(received.headers['x-fast-api-key']).toBe(TEST_KEY);
    expect(received.rawHeaders.filter((name) => name.toLowerCase() === 'x-fast-api-key')).toHaveLength(1);
    expect(received.headers.accept).toBe('application/json');
    for (const name of ['cookie', 'authorization', 'x-forwarded-host', 'x-forwarded-for', 'forwarded', 'x-custom', 'origin', 'x-requested-with']) {
      expect(received.headers[name], name).toBeUndefined();
    }
    expect(received.headers.host).toBe(new URL(h.fake.url).host);
    expectNoKey(response);
  });

  it('streams the upload of POST /convert unchanged, keeping its content type and only targetFormat of the query', async () => {
    const h = await start();
    h.fake.handle(answers.json(202, { id: ID, status: 'Queued', creditCost: 1 }));
    const form = new FormData();
    form.append('file', new Blob([Buffer.alloc(300_000, 7)], { type: 'image/png' }), 'a.png');
    // Encoded once by the platform, so the exact bytes and their boundary can be compared on the other side.
    const encoded = new Request('http://localhost/', { method: 'POST', body: form });
    const body = Buffer.from(await encoded.arrayBuffer());
    const contentType = encoded.headers.get('content-type')!;
    expect(contentType).toMatch(/^multipart\/form-data; boundary=/);
    const response = await rawRequest(h.base, '/convert?targetFormat=jpg&apiKey=x&callback=http://evil.test', {
      method: 'POST',
      headers: {
        ...h.writeHeaders,
        'content-type': contentType,
        'content-length': String(body.length),
        expect: '100-continue',
      },
      body,
    });
    expect(response.status).toBe(202);
    expect(response.json()).toEqual({ id: ID, status: 'Queued', creditCost: 1 });
    const received = h.fake.requests[0];
    expect(received.url).toBe('/convert?targetFormat=jpg');
    expect(received.headers['content-type']).toBe(contentType);
    expect(received.headers['content-length']).toBe(String(body.length));
    expect(received.headers.expect).toBeUndefined();
    expect(received.bodyBytes).toBe(body.length);
  });

  it('passes upstream errors (401, 404, 409, 410, 429 with Retry-After) through unchanged', async () => {
    const h = await start();
    for (const [status, code] of [
      [401, 'api_key.invalid_or_ip_not_allowed'],
      [404, 'jobs.not_found'],
      [409, 'jobs.not_ready'],
      [410, 'jobs.expired'],
    ] as const) {
      h.fake.handle(answers.json(status, { error: code, detail: 'from upstream' }));
      const response = await rawRequest(h.base, `/convert/job/${ID}/download`);
      expect(response.status).toBe(status);
      expect(response.json()).toEqual({ error: code, detail: 'from upstream' });
    }
    h.fake.handle(answers.tooMany(7, 'queue.limit_exceeded'));
    const limited = await rawRequest(h.base, '/convert', { method: 'POST', headers: { ...h.writeHeaders, 'content-type': 'multipart/form-data; boundary=x' }, body: '--x--\r\n' });
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('7');
    expect(limited.json()).toMatchObject({ error: 'queue.limit_exceeded' });
  });
});

describe('header hygiene on the way back', () => {
  it('drops Set-Cookie, hop-by-hop headers, CORS headers and any echo of the key, and keeps the allowed ones', async () => {
    const h = await start();
    h.fake.handle((_req, res) => {
      res.writeHead(202, [
        ['content-type', 'application/json'],
        ['set-cookie', 'upstream=1; Path=/'],
        ['connection', 'keep-alive, x-hop'],
        ['x-hop', 'hop'],
        ['keep-alive', 'timeout=5'],
        ['proxy-authenticate', 'Basic'],
        ['x-fast-api-key', TEST_KEY],
        ['x-echo', `key was ${TEST_KEY}`],
        ['access-control-allow-origin', '*'],
        ['retry-after', '3'],
        ['location', `/convert/job/${ID}`],
        ['server', 'upstream/1.0'],
      ]);
      res.end('{}');
    });
    const response = await rawRequest(h.base, `/convert/job/${ID}/cancel`, { method: 'POST', headers: h.writeHeaders });
    expect(response.status).toBe(202);
    for (const name of ['set-cookie', 'x-hop', 'proxy-authenticate', 'x-fast-api-key', 'x-echo', 'access-control-allow-origin', 'server']) {
      expect(response.headers[name], name).toBeUndefined();
    }
    expect(response.headers['keep-alive']).not.toBe('timeout=5');
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.headers['retry-after']).toBe('3');
    expect(response.headers.location).toBe(`/convert/job/${ID}`);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expectNoKey(response);
  });

  it('replaces an echo of the key in an answer body with [redacted], with a Content-Length to match', async () => {
    const h = await start();
    h.fake.handle(answers.json(401, { error: 'api_key.invalid_or_ip_not_allowed', detail: `Key ${TEST_KEY} is not allowed; ${TEST_KEY}` }));
    const response = await rawRequest(h.base, `/convert/job/${ID}`);
    expect(response.status).toBe(401);
    expect(response.json()).toEqual({ error: 'api_key.invalid_or_ip_not_allowed', detail: 'Key [redacted] is not allowed; [redacted]' });
    expect(Number(response.headers['content-length'])).toBe(Buffer.byteLength(response.text));
    expectNoKey(response);
  });

  it('rewrites an absolute Location on the upstream to a relative one and drops a foreign one', async () => {
    const h = await start();
    h.fake.handle(answers.json(202, {}, { location: `${h.fake.url}/convert/job/${ID}` }));
    const own = await rawRequest(h.base, `/convert/job/${ID}/cancel`, { method: 'POST', headers: h.writeHeaders });
    expect(own.headers.location).toBe(`/convert/job/${ID}`);
    h.fake.handle(answers.json(202, {}, { location: `https://evil.test/convert/job/${ID}` }));
    const foreign = await rawRequest(h.base, `/convert/job/${ID}/cancel`, { method: 'POST', headers: h.writeHeaders });
    expect(foreign.status).toBe(202);
    expect(foreign.headers.location).toBeUndefined();
  });

  it('serves downloads as attachments keeping the file name, with nosniff and a sandbox CSP', async () => {
    const h = await start();
    h.fake.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html', 'content-disposition': 'inline; filename="report.html"' });
      res.end('<script>alert(1)</script>');
    });
    const response = await rawRequest(h.base, `/convert/job/${ID}/download`);
    expect(response.status).toBe(200);
    expect(response.headers['content-disposition']).toBe('attachment; filename="report.html"');
    expect(response.headers['content-type']).toBe('text/html');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-security-policy']).toBe('sandbox');
    expect(response.text).toBe('<script>alert(1)</script>');
  });
});

describe('what never reaches the upstream', () => {
  const unrouted: [string, string, number][] = [
    ['GET', '/convert', 405],
    ['PUT', `/convert/job/${ID}`, 405],
    ['POST', `/convert/job/${ID}`, 405],
    ['GET', `/convert/job/${ID}/cancel`, 405],
    ['DELETE', `/convert/job/${ID}/download`, 405],
    ['HEAD', `/convert/job/${ID}`, 405],
    ['POST', '/convert/conversions', 405],
    ['GET', '/convert/jobs', 404],
    ['GET', '/convert/admin', 404],
    ['GET', `/convert/job/${ID}/download/extra`, 404],
    ['GET', `/convert/job/${ID}/`, 404],
    ['GET', '/convert/', 404],
    ['GET', '/convertx', 404],
  ];

  it.each(unrouted)('answers %s %s locally with %i', async (method, path, status) => {
    const h = await start();
    const response = await rawRequest(h.base, path, { method, headers: h.writeHeaders });
    expect(response.status).toBe(status);
    if (method !== 'HEAD') expect(response.json()).toMatchObject({ error: status === 404 ? 'not_found' : 'method_not_allowed' });
    expect(h.fake.requests).toHaveLength(0);
  });

  const tricks = [
    '..',
    '%2e%2e',
    '%2E%2E',
    `..%2f..%2f${ID}`,
    `${ID}%2fdownload`,
    `${ID}%5c..`,
    `..%5cadmin`,
    `${ID}\\..`,
    `user@${ID}`,
    `${ID}%40evil.test`,
    `${ID}%00`,
    `${ID}%0d%0aX-Injected:%201`,
    `${ID}%09`,
    'a'.repeat(200),
    ID + 'a',
    ID.slice(1),
    `${ID};x=1`,
    '%20' + ID,
  ];

  it.each(tricks)('refuses the id %s with 400 request.invalid_job_id on every job route', async (trick) => {
    const h = await start();
    for (const [method, suffix] of [['GET', ''], ['GET', '/download'], ['POST', '/cancel'], ['DELETE', '']] as const) {
      const response = await rawRequest(h.base, `/convert/job/${trick}${suffix}`, { method, headers: h.writeHeaders });
      expect(response.status, `${method} ${suffix}`).toBe(400);
      expect(response.json()).toMatchObject({ error: 'request.invalid_job_id' });
    }
    expect(h.fake.requests).toHaveLength(0);
  });

  it('refuses an over-long id beyond the router limit without calling the upstream', async () => {
    const h = await start();
    const response = await rawRequest(h.base, `/convert/job/${'a'.repeat(5000)}`);
    expect([400, 404]).toContain(response.status);
    expect(h.fake.requests).toHaveLength(0);
  });

  it('never follows a redirect to another host and answers 502 upstream.redirect_refused', async () => {
    const other = await startFakeUpstream();
    cleanups.push(() => other.close());
    const h = await start();
    for (const status of [301, 302, 303, 307, 308]) {
      h.fake.handle(answers.redirect(`${other.url}/convert/job/${ID}`, status));
      const response = await rawRequest(h.base, `/convert/job/${ID}`);
      expect(response.status).toBe(502);
      expect(response.json()).toMatchObject({ error: 'upstream.redirect_refused' });
      expect(response.headers.location).toBeUndefined();
    }
    expect(other.requests).toHaveLength(0);
  });

  it('ignores Host, X-Forwarded-* and Forwarded when choosing where to send the request', async () => {
    const other = await startFakeUpstream();
    cleanups.push(() => other.close());
    const h = await start({ allowedHosts: [`127.0.0.1`, 'dash.example.test'] });
    await rawRequest(h.base, `/convert/job/${ID}`, {
      headers: { host: 'dash.example.test', 'x-forwarded-host': other.url.slice(7), forwarded: `host=${other.url.slice(7)}` },
    });
    expect(h.fake.requests).toHaveLength(1);
    expect(other.requests).toHaveLength(0);
  });
});

describe('upstream failures', () => {
  it('maps an unreachable upstream to 502 upstream.unreachable', async () => {
    const closed = await startFakeUpstream();
    const url = closed.url;
    await closed.close();
    const h = await start({ upstreamBase: url });
    const response = await rawRequest(h.base, `/convert/job/${ID}`);
    expect(response.status).toBe(502);
    expect(response.json()).toMatchObject({ error: 'upstream.unreachable' });
  });

  it('answers an upload to an unreachable or resetting upstream with 502 instead of resetting the browser', async () => {
    const closed = await startFakeUpstream();
    const url = closed.url;
    await closed.close();
    for (const h of [await startHarness({ upstreamBase: url }), await startHarness()]) {
      cleanups.push(() => h.close());
      // Reset once part of the upload has arrived.
      h.fake.handle((req) => {
        req.once('data', () => req.socket.destroy());
      });
      const response = await rawRequest(h.base, '/convert?targetFormat=png', {
        method: 'POST',
        headers: { ...h.writeHeaders, 'content-type': 'multipart/form-data; boundary=x' },
        body: Buffer.alloc(8 * 1024 * 1024, 1),
      });
      expect(response.status).toBe(502);
      expect(response.json()).toMatchObject({ error: 'upstream.unreachable' });
    }
  });

  it('maps a connection reset to 502 upstream.unreachable', async () => {
    const h = await start();
    h.fake.handle(answers.reset());
    const response = await rawRequest(h.base, `/convert/job/${ID}`);
    expect(response.status).toBe(502);
    expect(response.json()).toMatchObject({ error: 'upstream.unreachable' });
  });

  it('maps an upstream that never answers to 504 upstream.timeout', async () => {
    const h = await start({ headersTimeoutMs: 300 });
    h.fake.handle(answers.never());
    const response = await rawRequest(h.base, `/convert/job/${ID}`);
    expect(response.status).toBe(504);
    expect(response.json()).toMatchObject({ error: 'upstream.timeout' });
  });

  it('keeps the key out of every log line, including the failures', async () => {
    const h = await start({ headersTimeoutMs: 300 });
    h.fake.handle(answers.reset());
    await rawRequest(h.base, `/convert/job/${ID}`, { headers: { 'x-fast-api-key': TEST_KEY } });
    h.fake.handle(answers.never());
    await rawRequest(h.base, `/convert/job/${ID}`);
    h.fake.handle(answers.json(200, {}, { 'x-fast-api-key': TEST_KEY }));
    await rawRequest(h.base, `/convert/job/${ID}`);
    expect(h.logs.length).toBeGreaterThan(0);
    expect(h.logs.join('\n')).not.toContain(TEST_KEY);
  });
});

describe('server timeouts', () => {
  it('sets no overall request deadline, so uploads longer than five minutes are not cut, but bounds header reads', async () => {
    const h = await start();
    expect(h.app.server.requestTimeout).toBe(0);
    expect(h.app.server.headersTimeout).toBeGreaterThan(0);
    expect(h.app.server.headersTimeout).toBeLessThanOrEqual(120_000);
  });
});

describe('client aborts', () => {
  function abortAfterFirstBytes(base: string, path: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = http.get(`${base}${path}`, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
    });
  }

  it('aborts the upstream download within a second when the browser goes away', async () => {
    const h = await start();
    h.fake.handle(answers.slow(10_000, 20));
    await abortAfterFirstBytes(h.base, `/convert/job/${ID}/download`);
    const abortedAt = Date.now();
    const rec = h.fake.requests[0];
    await rec.closed;
    expect(rec.aborted).toBe(true);
    expect(rec.closedAt! - abortedAt).toBeLessThan(1000);
  });

  it('aborts the upstream upload within a second when the browser stops sending', async () => {
    const h = await start();
    h.fake.handle(answers.never());
    const arrived = h.fake.nextRequest();
    const req = http.request(`${h.base}/convert?targetFormat=png`, {
      method: 'POST',
      headers: { ...h.writeHeaders, 'content-type': 'multipart/form-data; boundary=x', 'content-length': '100000000' },
    });
    req.on('error', () => {});
    req.write(Buffer.alloc(64 * 1024));
    const rec = await arrived;
    await new Promise<void>((resolve) => {
      const check = () => (rec.bodyBytes > 0 ? resolve() : setTimeout(check, 10));
      check();
    });
    const abortedAt = Date.now();
    req.destroy();
    await rec.closed;
    expect(rec.aborted).toBe(true);
    expect(rec.closedAt! - abortedAt).toBeLessThan(1000);
  });
});

describe('job actions reported to the batch store', () => {
  it('reports status bodies, cancel, delete and a 410 download with the canonical id', async () => {
    const events: JobActionEvent[] = [];
    const h = await start({ onJobAction: (event) => events.push(event) });
    h.fake.handle(answers.json(200, statusBody(ID, 'Running', 50)));
    await rawRequest(h.base, `/convert/job/${HYPHEN_ID.toUpperCase()}`);
    h.fake.handle(answers.json(202, undefined, { location: `/convert/job/${ID}` }));
    await rawRequest(h.base, `/convert/job/${ID}/cancel`, { method: 'POST', headers: h.writeHeaders });
    h.fake.handle(answers.json(204, undefined));
    await rawRequest(h.base, `/convert/job/${ID}`, { method: 'DELETE', headers: h.writeHeaders });
    h.fake.handle(answers.json(410, { error: 'jobs.expired', detail: null }));
    await rawRequest(h.base, `/convert/job/${ID}/download`);
    expect(events).toEqual([
      { jobId: ID, action: 'status', statusCode: 200, body: statusBody(ID, 'Running', 50) },
      { jobId: ID, action: 'cancel', statusCode: 202, body: undefined },
      { jobId: ID, action: 'delete', statusCode: 204, body: undefined },
      { jobId: ID, action: 'download', statusCode: 410, body: { error: 'jobs.expired', detail: null } },
    ]);
  });
});
