// @vitest-environment node
import { mkdtemp, mkdir, rm, writeFile, readdir, readFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { parseEnv } from 'node:util';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyPluginAsync } from 'fastify';
import { rawRequest } from './testing/raw-request.ts';
import { startHarness, TEST_KEY, type Harness, type HarnessOptions } from './testing/proxy-harness.ts';
import { AuthThrottle, hostName } from './security.ts';

const ID = '0190a5b4c3d27e8f9a0b1c2d3e4f5a6b';

let harness: Harness | null = null;
const tempDirs: string[] = [];

afterEach(async () => {
  await harness?.close();
  harness = null;
  for (const dir of tempDirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function start(options: HarnessOptions = {}): Promise<Harness> {
  harness = await startHarness(options);
  return harness;
}

async function fakeDist(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dash-dist-'));
  tempDirs.push(dir);
  await mkdir(path.join(dir, 'assets'));
  await writeFile(path.join(dir, 'index.html'), '<!doctype html><html><head><script type="module" src="/assets/index-AbCd1234.js"></script></head><body><div id="root"></div></body></html>');
  await writeFile(path.join(dir, 'assets', 'index-AbCd1234.js'), 'console.log("app")');
  await writeFile(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  return dir;
}

const echoApi: FastifyPluginAsync = async (app) => {
  app.get('/api/config', async () => ({ ok: true }));
  app.post('/api/batches', async (_request, reply) => reply.code(201).send({ id: 'b1' }));
};

function basic(user: string, password: string): string {
  return 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
}

function cspDirectives(value: string | string[] | undefined): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const part of String(value ?? '').split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) map.set(name, sources);
  }
  return map;
}

function expectStrictAppCsp(value: string | string[] | undefined) {
  const csp = cspDirectives(value);
  expect(csp.get('script-src')).toEqual(["'self'"]);
  expect(csp.get('object-src')).toEqual(["'none'"]);
  expect(csp.get('base-uri')).toEqual(["'none'"]);
  expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
  expect(String(value)).not.toMatch(/unsafe-|\*|https?:|data: ?;.*script/);
}

describe('Host allow-list (DNS rebinding)', () => {
  it.each([
    'evil.test',
    '127.0.0.1.attacker.test',
    'localhost.attacker.test:8787',
    '127.0.0.2',
    '[::2]:80',
    'dash.example.test.evil.test',
    'localhost:notaport',
  ])('refuses Host %j with 421 request.misdirected before reaching the upstream', async (host) => {
    const h = await start();
    const response = await rawRequest(h.base, `/convert/job/${ID}`, { headers: { host } });
    expect(response.status).toBe(421);
    expect(response.json()).toMatchObject({ error: 'request.misdirected' });
    expect(h.fake.requests).toHaveLength(0);
  });

  it.each(['localhost', 'localhost:1234', '127.0.0.1:9', '[::1]:8787', 'LOCALHOST', 'dash.example.test', 'dash.example.test:443'])(
    'accepts Host %j whatever the port',
    async (host) => {
      const h = await start();
      const response = await rawRequest(h.base, `/convert/job/${ID}`, { headers: { host } });
      expect(response.status).toBe(200);
    },
  );

  it('parses host names with and without ports', () => {
    expect(hostName('[::1]:80')).toBe('[::1]');
    expect(hostName('Example.test:8080')).toBe('example.test');
    expect(hostName('a:b:c')).toBeNull();
  });
});

describe('cross-origin writes', () => {
  const writes: [string, string][] = [
    ['POST', '/convert?targetFormat=png'],
    ['POST', `/convert/job/${ID}/cancel`],
    ['DELETE', `/convert/job/${ID}`],
    ['POST', '/api/batches'],
    ['POST', `/%63onvert/job/${ID}/cancel`],
    ['DELETE', `/%63onvert/job/${ID}`],
    ['POST', '/%61pi/batches'],
  ];

  it.each(writes)('refuses a form-style %s %s from another site with 403 request.cross_origin', async (method, url) => {
    const h = await start({ api: echoApi });
    const response = await rawRequest(h.base, url, {
      method,
      headers: { origin: 'http://evil.test', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1',
    });
    expect(response.status).toBe(403);
    expect(response.json()).toMatchObject({ error: 'request.cross_origin' });
    expect(h.fake.requests).toHaveLength(0);
  });

  it.each([
    ['same origin without X-Requested-With', (base: string) => ({ origin: base })],
    ['X-Requested-With from another origin', () => ({ origin: 'http://evil.test', 'x-requested-with': 'x' })],
    ['another local port', (base: string) => ({ origin: base.replace(/:\d+$/, ':1'), 'x-requested-with': 'x' })],
    ['an empty X-Requested-With', (base: string) => ({ origin: base, 'x-requested-with': '' })],
    ['no Origin and Sec-Fetch-Site same-site', () => ({ 'sec-fetch-site': 'same-site', 'x-requested-with': 'x' })],
    ['no Origin and no Sec-Fetch-Site', () => ({ 'x-requested-with': 'x' })],
    ['Origin null', () => ({ origin: 'null', 'x-requested-with': 'x' })],
  ])('refuses a write with %s', async (_name, headers) => {
    const h = await start({ api: echoApi });
    const response = await rawRequest(h.base, `/convert/job/${ID}/cancel`, { method: 'POST', headers: headers(h.base) });
    expect(response.status).toBe(403);
    const api = await rawRequest(h.base, '/api/batches', { method: 'POST', headers: headers(h.base) });
    expect(api.status).toBe(403);
    expect(h.fake.requests).toHaveLength(0);
  });

  it('accepts a write with the same Origin or Sec-Fetch-Site same-origin, plus X-Requested-With', async () => {
    const h = await start({ api: echoApi });
    const sameOrigin = await rawRequest(h.base, `/convert/job/${ID}/cancel`, { method: 'POST', headers: h.writeHeaders });
    expect(sameOrigin.status).toBe(200);
    const fetchMeta = await rawRequest(h.base, '/api/batches', {
      method: 'POST',
      headers: { 'sec-fetch-site': 'same-origin', 'x-requested-with': 'fetch' },
    });
    expect(fetchMeta.status).toBe(201);
  });

  it('sends no CORS headers, not even to a preflight', async () => {
    const h = await start({ api: echoApi });
    const preflight = await rawRequest(h.base, '/api/batches', {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.test', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-requested-with' },
    });
    const read = await rawRequest(h.base, '/api/config', { headers: { origin: 'http://evil.test' } });
    for (const response of [preflight, read]) {
      expect(Object.keys(response.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
    }
  });
});

describe('security headers, the app and its CSP', () => {
  it('serves index.html, the SPA fallback and static files with security headers and a strict CSP on HTML', async () => {
    const distDir = await fakeDist();
    const h = await start({ distDir, api: echoApi });
    for (const url of ['/', '/batches/abc', '/index.html']) {
      const response = await rawRequest(h.base, url);
      expect(response.status, url).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      expect(response.text).toContain('<div id="root">');
      expectStrictAppCsp(response.headers['content-security-policy']);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['x-frame-options']).toBe('DENY');
    }
    const asset = await rawRequest(h.base, '/assets/index-AbCd1234.js');
    expect(asset.status).toBe(200);
    expect(asset.headers['cache-control']).toContain('immutable');
    const favicon = await rawRequest(h.base, '/favicon.svg');
    expect(favicon.headers['cache-control']).not.toContain('immutable');
  });

  it('answers unknown /api paths and missing files with a JSON 404, not the app', async () => {
    const distDir = await fakeDist();
    const h = await start({ distDir, api: echoApi });
    for (const url of ['/api/nope', '/api', '/assets/missing-12345678.js']) {
      const response = await rawRequest(h.base, url);
      expect(response.status, url).toBe(404);
      expect(response.json()).toMatchObject({ error: 'not_found' });
    }
    expect((await rawRequest(h.base, '/api/config')).json()).toEqual({ ok: true });
  });

  it('keeps the key out of the built app in dist/', async () => {
    const dist = path.resolve('dist');
    if (!existsSync(dist)) return;
    const files: string[] = [];
    const walk = async (dir: string) => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) await walk(full);
        else files.push(full);
      }
    };
    await walk(dist);
    expect(files.length).toBeGreaterThan(0);
    // The keys a build could have picked up: the environment's and the one in .env (names may appear in
    // help texts; values must not).
    const dotenvFile = path.resolve('.env');
    const fromDotenv = existsSync(dotenvFile) ? parseEnv(await readFile(dotenvFile, 'utf8')).FAST_API_KEY : undefined;
    const secrets = [TEST_KEY, process.env.FAST_API_KEY, fromDotenv].filter((s): s is string => Boolean(s && s.length >= 8));
    for (const file of files) {
      if ((await stat(file)).size > 50 * 1024 * 1024) continue;
      const text = await readFile(file, 'latin1');
      for (const secret of secrets) expect(text.includes(secret), `${file} contains a key`).toBe(false);
      // No VITE_-prefixed secret made it into the bundle either.
      expect(/VITE_[A-Z_]*KEY/.test(text), `${file} mentions a VITE_ key variable`).toBe(false);
    }
  });
});

describe('dashboard password', () => {
  it('asks every route for the password with 401, WWW-Authenticate and auth.required', async () => {
    const distDir = await fakeDist();
    const h = await start({ distDir, api: echoApi, password: 'correct horse' });
    for (const url of ['/', '/assets/index-AbCd1234.js', '/api/config', `/convert/job/${ID}`]) {
      const response = await rawRequest(h.base, url);
      expect(response.status, url).toBe(401);
      expect(response.headers['www-authenticate']).toMatch(/^Basic /);
      expect(response.json()).toMatchObject({ error: 'auth.required' });
    }
    expect(h.fake.requests).toHaveLength(0);
  });

  it('lets in any user name with the right password, and no one with a wrong one', async () => {
    const distDir = await fakeDist();
    const h = await start({ distDir, api: echoApi, password: 'correct horse' });
    for (const user of ['', 'admin', 'someone']) {
      const response = await rawRequest(h.base, '/', { headers: { authorization: basic(user, 'correct horse') } });
      expect(response.status).toBe(200);
    }
    for (const wrong of ['correct hors', 'correct horse ', 'CORRECT HORSE', '']) {
      const response = await rawRequest(h.base, '/', { headers: { authorization: basic('admin', wrong) } });
      expect(response.status).toBe(401);
    }
    const proxied = await rawRequest(h.base, `/convert/job/${ID}`, { headers: { authorization: basic('x', 'correct horse') } });
    expect(proxied.status).toBe(200);
    expect(h.fake.requests[0].headers.authorization).toBeUndefined();
  });

  it('slows down an address after repeated failures with 429 and Retry-After, and lets it try again later', async () => {
    let now = 1_000_000;
    const throttle = new AuthThrottle({ freeFailures: 3, now: () => now });
    const h = await start({ password: 'pw', authThrottle: throttle, api: echoApi });
    const wrong = { authorization: basic('u', 'nope') };
    for (let i = 0; i < 3; i++) expect((await rawRequest(h.base, '/api/config', { headers: wrong })).status).toBe(401);
    // The fourth failure starts a lock-out; even the right password must wait.
    expect((await rawRequest(h.base, '/api/config', { headers: wrong })).status).toBe(401);
    const locked = await rawRequest(h.base, '/api/config', { headers: { authorization: basic('u', 'pw') } });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    now += 1000;
    expect((await rawRequest(h.base, '/api/config', { headers: wrong })).status).toBe(401);
    now += 1000;
    const lockedLonger = await rawRequest(h.base, '/api/config', { headers: wrong });
    expect(lockedLonger.status).toBe(429);
    expect(Number(lockedLonger.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    now += 2000;
    expect((await rawRequest(h.base, '/api/config', { headers: { authorization: basic('u', 'pw') } })).status).toBe(200);
    // A success clears the count.
    expect((await rawRequest(h.base, '/api/config', { headers: wrong })).status).toBe(401);
    expect((await rawRequest(h.base, '/api/config', { headers: { authorization: basic('u', 'pw') } })).status).toBe(200);
  });

  it('behind a trusted reverse proxy, slows down each client by its X-Forwarded-For, on every path', async () => {
    const attempt = (client: string, url: string, password: string) =>
      rawRequest(harness!.base, url, { headers: { authorization: basic('u', password), 'x-forwarded-for': client } });
    for (const url of ['/api/config', `/convert/job/${ID}`]) {
      // Trusted: a locked-out client does not lock out the others behind the same proxy.
      await start({ password: 'pw', authThrottle: new AuthThrottle({ freeFailures: 1 }), api: echoApi, trustProxy: ['127.0.0.1'] });
      for (let i = 0; i < 2; i++) expect((await attempt('203.0.113.5', url, 'nope')).status, url).toBe(401);
      expect((await attempt('203.0.113.5', url, 'pw')).status, url).toBe(429);
      expect((await attempt('203.0.113.6', url, 'pw')).status, url).toBe(200);
      await harness!.close();
      // Not trusted: X-Forwarded-For is anyone's to write, so the peer's address counts, for everyone behind it.
      await start({ password: 'pw', authThrottle: new AuthThrottle({ freeFailures: 1 }), api: echoApi });
      for (let i = 0; i < 2; i++) expect((await attempt('203.0.113.5', url, 'nope')).status, url).toBe(401);
      expect((await attempt('203.0.113.6', url, 'pw')).status, url).toBe(429);
      await harness!.close();
      harness = null;
    }
  });

  it('doubles the lock-out with each further failure, up to a cap', () => {
    let now = 0;
    const throttle = new AuthThrottle({ freeFailures: 1, maxLockMs: 8000, now: () => now });
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      throttle.fail('1.2.3.4');
      waits.push(throttle.waitMs('1.2.3.4'));
      now += throttle.waitMs('1.2.3.4');
    }
    expect(waits).toEqual([0, 1000, 2000, 4000, 8000, 8000]);
    expect(throttle.waitMs('5.6.7.8')).toBe(0);
  });
});
