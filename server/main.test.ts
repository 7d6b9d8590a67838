// @vitest-environment node
/**
 * `tsx server/main.ts` as an operator runs it. Development mode (`--dev`) is used so that the tests never
 * rebuild dist/ under other tests' feet; the proxy, /api and security code are the same in both modes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { answers, startFakeUpstream } from './testing/fake-upstream.ts';
import { rawRequest } from './testing/raw-request.ts';
import type { BatchListResponse } from '../contract/dashboard-api.ts';

const processes: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const child of processes.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
  waitFor(pattern: RegExp): Promise<RegExpExecArray>;
}

async function startMain(env: Record<string, string>, args: string[] = ['--dev']): Promise<Started> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'dash-main-'));
  dirs.push(dataDir);
  const clean: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(FAST_API_|DASHBOARD_PASSWORD|HOST$|PORT$|ALLOWED_HOSTS)/.test(name)) clean[name] = value;
  }
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', ...args], {
    env: { ...clean, DATA_DIR: dataDir, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  processes.push(child);
  const lines: string[] = [];
  const listeners: (() => void)[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    readline.createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      listeners.forEach((listener) => listener());
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    lines,
    exited,
    waitFor(pattern) {
      return new Promise((resolve, reject) => {
        const check = () => {
          for (const line of lines) {
            const match = pattern.exec(line);
            if (match) return resolve(match);
          }
        };
        listeners.push(check);
        void exited.then((code) => reject(new Error(`main exited (${code}):\n${lines.join('\n')}`)));
        check();
      });
    },
  };
}

/** A websocket upgrade request as Vite's HMR client makes it; resolves with the answer's head and body. */
function upgrade(base: string, path: string, headers: Record<string, string>): Promise<{ status: number; head: string; body: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname, () => {
      const lines = [`GET ${path} HTTP/1.1`, `Host: ${headers.host ?? url.host}`, 'Upgrade: websocket', 'Connection: Upgrade',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Protocol: vite-hmr',
        `Origin: ${base}`, ...Object.entries(headers).filter(([name]) => name !== 'host').map(([name, value]) => `${name}: ${value}`)];
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
    let text = '';
    const done = () => {
      socket.destroy();
      const [head, body = ''] = text.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), head, body });
    };
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      // A switched connection stays open: its head is all there is to read.
      if (text.startsWith('HTTP/1.1 101') && text.includes('\r\n\r\n')) done();
    });
    socket.on('end', done);
    socket.on('error', reject);
  });
}

describe('npm start / npm run dev', () => {
  it('refuses a non-loopback HOST without a password, saying why, and exits 1', async () => {
    const started = await startMain({ HOST: '0.0.0.0' });
    expect(await started.exited).toBe(1);
    const output = started.lines.join('\n');
    expect(output).toContain('DASHBOARD_PASSWORD');
    expect(output).toContain('0.0.0.0');
  });

  it('refuses FAST_API_BASE without FAST_API_KEY with a clear message', async () => {
    const started = await startMain({ FAST_API_BASE: 'https://api.tools.fast' });
    expect(await started.exited).toBe(1);
    expect(started.lines.join('\n')).toMatch(/FAST_API_KEY is required/);
  });

  it('serves the app with Vite, proxies to FAST_API_BASE with FAST_API_KEY, never prints the key, and stops on SIGTERM', async () => {
    const fake = await startFakeUpstream();
    try {
      fake.handle(answers.json(200, { conversions: [] }));
      const key = 'main-test-key-93b1d7';
      const started = await startMain({ FAST_API_BASE: fake.url, FAST_API_KEY: key });
      const [, url] = await started.waitFor(/Dashboard: (http:\/\/\S+)/);
      await started.waitFor(new RegExp(`Upstream: ${fake.url}`));

      const html = await rawRequest(url, '/');
      expect(html.status).toBe(200);
      expect(html.headers['content-type']).toMatch(/^text\/html/);
      const csp = String(html.headers['content-security-policy']);
      const nonce = /script-src 'self' 'nonce-([^']+)'/.exec(csp)?.[1];
      expect(nonce).toBeTruthy();
      expect(csp).not.toMatch(/unsafe-/);
      expect(csp).toContain("object-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      // Every inline script Vite adds carries the nonce.
      for (const tag of html.text.match(/<script\b[^>]*>/g) ?? []) {
        if (!/\ssrc=/.test(tag)) expect(tag).toContain(`nonce="${nonce}"`);
      }
      const spa = await rawRequest(url, '/batches/some-batch');
      expect(spa.status).toBe(200);
      expect(spa.headers['content-security-policy']).toBe(csp);

      const unknownApi = await rawRequest(url, '/api/nope');
      expect(unknownApi.status).toBe(404);
      expect(unknownApi.json()).toMatchObject({ error: 'not_found' });
      const rebound = await rawRequest(url, '/', { headers: { host: '127.0.0.1.attacker.test' } });
      expect(rebound.status).toBe(421);

      const proxied = await rawRequest(url, '/convert/conversions');
      expect(proxied.status).toBe(200);
      expect(fake.requests.at(-1)?.headers['x-fast-api-key']).toBe(key);

      started.child.kill('SIGTERM');
      expect(await started.exited).toBe(0);
      expect(started.lines.join('\n')).not.toContain(key);
    } finally {
      await fake.close();
    }
  }, 60_000);

  it('in development, puts the HMR websocket behind the same password and Host checks as every request', async () => {
    const started = await startMain({ DASHBOARD_PASSWORD: 'dev-secret' });
    const [, url] = await started.waitFor(/Dashboard: (http:\/\/\S+)/);
    const auth = { authorization: `Basic ${Buffer.from('me:dev-secret').toString('base64')}` };
    const client = await rawRequest(url, '/@vite/client', { headers: auth });
    expect(client.status).toBe(200);
    const token = /wsToken = "([^"]+)"/.exec(client.text)?.[1];
    expect(token).toBeTruthy();
    const path = `/?token=${token}`;

    const anonymous = await upgrade(url, path, {});
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.body)).toMatchObject({ error: 'auth.required' });
    expect((await upgrade(url, path, { authorization: `Basic ${Buffer.from('me:wrong').toString('base64')}` })).status).toBe(401);
    expect((await upgrade(url, path, { ...auth, host: 'dashboard.attacker.test' })).status).toBe(421);
    expect((await upgrade(url, path, auth)).status).toBe(101);
    started.child.kill('SIGTERM');
    expect(await started.exited).toBe(0);
  }, 60_000);

  it('starts the bundled Convert service when FAST_API_BASE is unset and stops it on SIGTERM', async () => {
    const started = await startMain({});
    const [, url] = await started.waitFor(/Dashboard: (http:\/\/\S+)/);
    const [, bundledUrl] = await started.waitFor(/Upstream: bundled Convert service at (http:\/\/\S+)/);
    expect(new URL(bundledUrl).hostname).toBe('127.0.0.1');
    const conversions = await rawRequest(url, '/convert/conversions');
    expect(conversions.status).toBe(200);
    expect(conversions.json<{ conversions: unknown[] }>().conversions.length).toBeGreaterThan(0);
    // Without the dashboard's key, the bundled service refuses.
    const direct = await rawRequest(bundledUrl, '/convert/conversions');
    expect(direct.status).toBe(401);

    started.child.kill('SIGTERM');
    expect(await started.exited).toBe(0);
    await expect(rawRequest(bundledUrl, '/convert/conversions')).rejects.toThrow(/ECONNREFUSED/);
  }, 60_000);

  it('takes the bundled Convert service down with it when killed with SIGKILL, and starts again on the same folder', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'dash-main-'));
    dirs.push(dataDir);
    const first = await startMain({ DATA_DIR: dataDir });
    const [, bundledUrl] = await first.waitFor(/Upstream: bundled Convert service at (http:\/\/\S+)/);
    expect((await rawRequest(bundledUrl, '/convert/conversions')).status).toBe(401);
    first.child.kill('SIGKILL');
    await first.exited;
    // No signal reaches the service: it sees its standard input end, and stops.
    await vi.waitFor(() => expect(rawRequest(bundledUrl, '/convert/conversions')).rejects.toThrow(/ECONNREFUSED/), { timeout: 20_000, interval: 100 });

    const second = await startMain({ DATA_DIR: dataDir });
    const [, url] = await second.waitFor(/Dashboard: (http:\/\/\S+)/);
    expect((await rawRequest(url, '/convert/conversions')).status).toBe(200);
  }, 60_000);

  it('refuses to start a second dashboard on a data folder in use, saying which and what to do', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'dash-main-'));
    dirs.push(dataDir);
    const first = await startMain({ DATA_DIR: dataDir });
    await first.waitFor(/Dashboard: (http:\/\/\S+)/);
    const second = await startMain({ DATA_DIR: dataDir });
    expect(await second.exited).toBe(1);
    const output = second.lines.join('\n');
    expect(output).toContain(`Another dashboard is using the data folder ${dataDir}`);
    expect(output).toContain('DATA_DIR');
    expect(output).not.toMatch(/\n\s+at /);
    // The first one is unharmed.
    const [, url] = await first.waitFor(/Dashboard: (http:\/\/\S+)/);
    expect((await rawRequest(url, '/convert/conversions')).status).toBe(200);
  }, 60_000);
});

describe('fault 2: a crash of the bundled Convert service does not stop the dashboard', () => {
  it('restarts it after kill -9, reports "restarting" as the upstream\'s health meanwhile, and serves from the new one', async () => {
    const started = await startMain({});
    const [, url] = await started.waitFor(/Dashboard: (http:\/\/\S+)/);
    const [, bundledUrl, pid] = await started.waitFor(/Upstream: bundled Convert service at (http:\/\/\S+) \(process (\d+)\)/);
    expect((await rawRequest(url, '/convert/conversions')).status).toBe(200);

    process.kill(Number(pid), 'SIGKILL');
    await vi.waitFor(
      async () => {
        const list = await rawRequest(url, '/api/batches');
        expect(list.json<BatchListResponse>().upstream).toMatchObject({
          state: 'restarting',
          error: { error: 'upstream.restarting', detail: 'The bundled Convert service is restarting.' },
        });
      },
      { timeout: 20_000, interval: 50 },
    );
    const [, newUrl] = await started.waitFor(/The bundled Convert service is running again at (http:\/\/\S+)\./);
    expect(newUrl).not.toBe(bundledUrl);
    expect(started.child.exitCode).toBeNull();

    // The proxy follows the new child (its port; the key stays the dashboard's), and the health clears.
    const conversions = await rawRequest(url, '/convert/conversions');
    expect(conversions.status).toBe(200);
    expect(conversions.json<{ conversions: unknown[] }>().conversions.length).toBeGreaterThan(0);
    expect((await rawRequest(url, '/api/batches')).json<BatchListResponse>().upstream.state).not.toBe('restarting');
    // The batch routes' upstream client follows too: a demo batch submits to the new child.
    const demo = await rawRequest(url, '/api/batches/demo', { method: 'POST', headers: { origin: url, 'x-requested-with': 'fetch' } });
    expect(demo.status).toBe(201);

    started.child.kill('SIGTERM');
    expect(await started.exited).toBe(0);
  }, 90_000);
});

describe('fault 9: the data folder stays held, and a vanished database is noticed', () => {
  it('refuses writes with a 503 sentence once dashboard.sqlite is deleted, reports it, and still keeps a second dashboard out', async () => {
    const fake = await startFakeUpstream();
    try {
      const dataDir = await mkdtemp(path.join(os.tmpdir(), 'dash-main-'));
      dirs.push(dataDir);
      const env = { FAST_API_BASE: fake.url, FAST_API_KEY: 'k-9', DATA_DIR: dataDir };
      const first = await startMain(env);
      const [, url] = await first.waitFor(/Dashboard: (http:\/\/\S+)/);
      const write = (name: string) =>
        rawRequest(url, '/api/batches', {
          method: 'POST',
          headers: { origin: url, 'x-requested-with': 'fetch', 'content-type': 'application/json' },
          body: JSON.stringify({ name }),
        });
      expect((await write('before')).status).toBe(201);
      expect((await rawRequest(url, '/api/health')).status).toBe(200);

      await rm(path.join(dataDir, 'dashboard.sqlite'));
      await vi.waitFor(
        async () => {
          const health = await rawRequest(url, '/api/health');
          expect(health.status).toBe(503);
          expect(health.json()).toMatchObject({ error: 'storage.unavailable', detail: expect.stringMatching(/dashboard\.sqlite was removed/) });
        },
        { timeout: 20_000, interval: 100 },
      );
      const refused = await write('after');
      expect(refused.status).toBe(503);
      expect(refused.json()).toMatchObject({ error: 'storage.unavailable', detail: expect.stringMatching(/nothing more can be saved.*Restart the dashboard/) });
      expect(first.lines.join('\n')).toMatch(/dashboard\.sqlite was removed/);

      const second = await startMain(env);
      expect(await second.exited).toBe(1);
      expect(second.lines.join('\n')).toContain(`Another dashboard is using the data folder ${dataDir}`);

      // Deleting the lock file too: the first dashboard takes the new file's lock at its next check.
      await rm(path.join(dataDir, 'dashboard.lock'));
      await vi.waitFor(() => expect(existsSync(path.join(dataDir, 'dashboard.lock'))).toBe(true), { timeout: 20_000, interval: 100 });
      const third = await startMain(env);
      expect(await third.exited).toBe(1);
      expect(third.lines.join('\n')).toContain('Another dashboard is using the data folder');
      expect(first.child.exitCode).toBeNull();
    } finally {
      await fake.close();
    }
  }, 90_000);
});

