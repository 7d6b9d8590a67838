// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_PORT, isLoopbackHost, loadConfig } from './config.ts';
import { childEnv } from './bundled-convert-api.ts';

describe('loadConfig', () => {
  it('defaults to the bundled service on 127.0.0.1 with 3600 s retention and no password', () => {
    expect(loadConfig({})).toEqual({
      apiBase: null,
      apiKey: null,
      host: '127.0.0.1',
      port: DEFAULT_PORT,
      dataDir: './data',
      outputRetentionSeconds: 3600,
      password: null,
      allowedHosts: [],
      trustProxy: [],
      upstreamIdleMs: 30_000,
      uploadIdleMs: 10_000,
      uploadsPerClient: 8,
      maxJobsPerBatch: 100_000,
      maxJobsTotal: 1_000_000,
      keepOutputs: { maxBytes: 20 * 1024 ** 3, keepDays: 7, default: true },
      trackerMaxRps: 20,
      webhookUrls: [],
      publicUrl: null,
      feedMaxActive: 18,
      spoolMaxBytes: 20 * 1024 ** 3,
      sourceRetentionHours: 24,
      stallDefaultSeconds: 300,
    });
  });

  it('reads the webhooks as a comma list and refuses one that is not an http(s) URL', () => {
    const config = loadConfig({ NOTIFY_WEBHOOK_URL: 'https://hooks.example.test/a, http://127.0.0.1:9/b ,', PUBLIC_URL: 'https://dash.example.test/' });
    expect(config.webhookUrls).toEqual(['https://hooks.example.test/a', 'http://127.0.0.1:9/b']);
    expect(config.publicUrl).toBe('https://dash.example.test');
    expect(() => loadConfig({ NOTIFY_WEBHOOK_URL: 'ftp://x' })).toThrow(/NOTIFY_WEBHOOK_URL must list http/);
    expect(() => loadConfig({ PUBLIC_URL: 'dash' })).toThrow(/PUBLIC_URL must be an http/);
  });

  it('reads every setting, accepting port 0 and a comma list of allowed hosts', () => {
    const config = loadConfig({
      FAST_API_BASE: 'https://api.tools.fast/',
      FAST_API_KEY: 'k-123',
      HOST: '0.0.0.0',
      PORT: '0',
      DATA_DIR: '/tmp/d',
      OUTPUT_RETENTION_SECONDS: '60',
      DASHBOARD_PASSWORD: 'pw',
      ALLOWED_HOSTS: ' dash.example.test, Other.Test ,,',
      TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,fd00::/8 , loopback,',
      UPSTREAM_IDLE_SECONDS: '5',
      UPLOAD_IDLE_SECONDS: '3',
      UPLOADS_PER_CLIENT: '2',
      MAX_JOBS_PER_BATCH: '500',
      MAX_JOBS_TOTAL: '2000',
      KEEP_OUTPUTS_MAX_GB: '0.5',
      KEEP_OUTPUTS_DAYS: '2',
      KEEP_OUTPUTS_DEFAULT: 'off',
      TRACKER_MAX_RPS: '5',
      FEED_MAX_ACTIVE: '5',
      SPOOL_MAX_GB: '0.5',
      SOURCE_RETENTION_HOURS: '0.25',
      STALL_DEFAULT_SECONDS: '90',
    });
    expect(config).toEqual({
      apiBase: 'https://api.tools.fast',
      apiKey: 'k-123',
      host: '0.0.0.0',
      port: 0,
      dataDir: '/tmp/d',
      outputRetentionSeconds: 60,
      password: 'pw',
      allowedHosts: ['dash.example.test', 'other.test'],
      trustProxy: ['127.0.0.1', '10.0.0.0/8', 'fd00::/8', 'loopback'],
      upstreamIdleMs: 5000,
      uploadIdleMs: 3000,
      uploadsPerClient: 2,
      maxJobsPerBatch: 500,
      maxJobsTotal: 2000,
      keepOutputs: { maxBytes: 512 * 1024 ** 2, keepDays: 2, default: false },
      trackerMaxRps: 5,
      webhookUrls: [],
      publicUrl: null,
      feedMaxActive: 5,
      spoolMaxBytes: 512 * 1024 ** 2,
      sourceRetentionHours: 0.25,
      stallDefaultSeconds: 90,
    });
  });

  it('refuses a TRUST_PROXY that is not a list of addresses, saying why', () => {
    for (const value of ['true', '*', '10.0.0.0/33', 'proxy.example.test', '::1/129', '10.0.0.1/8/8', '10.0.0.0/x']) {
      expect(() => loadConfig({ TRUST_PROXY: value }), value).toThrow(`TRUST_PROXY lists "${value}"`);
    }
    expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow(/List only your reverse proxies/);
  });

  it('requires FAST_API_KEY with FAST_API_BASE and says what to set', () => {
    expect(() => loadConfig({ FAST_API_BASE: 'https://api.tools.fast' })).toThrow(ConfigError);
    expect(() => loadConfig({ FAST_API_BASE: 'https://api.tools.fast', FAST_API_KEY: ' ' })).toThrow(/FAST_API_KEY is required/);
  });

  it('refuses a base that is not an http(s) URL or carries credentials', () => {
    expect(() => loadConfig({ FAST_API_BASE: 'api.tools.fast', FAST_API_KEY: 'k' })).toThrow(ConfigError);
    expect(() => loadConfig({ FAST_API_BASE: 'ftp://x', FAST_API_KEY: 'k' })).toThrow(ConfigError);
    expect(() => loadConfig({ FAST_API_BASE: 'https://u:p@x.test', FAST_API_KEY: 'k' })).toThrow(ConfigError);
  });

  it.each(['0.0.0.0', '192.168.1.5', '::', 'dashboard.example.test'])(
    'refuses to listen on non-loopback %s without a password, saying why and what to set',
    (host) => {
      let message = '';
      try {
        loadConfig({ HOST: host, DASHBOARD_PASSWORD: '' });
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        message = (error as Error).message;
      }
      expect(message).toContain(host);
      expect(message).toContain('DASHBOARD_PASSWORD');
      expect(message).toMatch(/loopback/);
    },
  );

  it.each(['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]'])('allows loopback %s without a password', (host) => {
    expect(loadConfig({ HOST: host }).host).toBe(host);
    expect(isLoopbackHost(host)).toBe(true);
  });

  it('does not count look-alikes as loopback', () => {
    for (const host of ['localhost.attacker.test', '127.0.0.1.nip.io', '128.0.0.1', '::2']) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });

  it('refuses malformed numbers', () => {
    expect(() => loadConfig({ PORT: '80x' })).toThrow(/PORT/);
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT/);
    expect(() => loadConfig({ OUTPUT_RETENTION_SECONDS: '0' })).toThrow(/OUTPUT_RETENTION_SECONDS/);
    expect(() => loadConfig({ STALL_DEFAULT_SECONDS: '0' })).toThrow(/STALL_DEFAULT_SECONDS/);
  });

  it('never puts the key into an error message', () => {
    try {
      loadConfig({ FAST_API_BASE: 'not a url', FAST_API_KEY: 'secret-key-value' });
    } catch (error) {
      expect((error as Error).message).not.toContain('secret-key-value');
    }
  });
});

describe('the bundled service environment', () => {
  it('gets loopback, port 0, its own key and data dir, the retention, and other CONVERT_API_* settings, but not our secrets', () => {
    const env = childEnv(
      { PATH: '/bin', CONVERT_API_MIN_JOB_MS: '1500', CONVERT_API_PORT: '9999', FAST_API_KEY: 'real-key', DASHBOARD_PASSWORD: 'pw' },
      { dataDir: '/tmp/data', outputRetentionSeconds: 120 },
      'generated',
    );
    expect(env).toMatchObject({
      PATH: '/bin',
      CONVERT_API_MIN_JOB_MS: '1500',
      CONVERT_API_HOST: '127.0.0.1',
      CONVERT_API_PORT: '0',
      CONVERT_API_KEYS: 'generated=dashboard',
      CONVERT_API_DATA_DIR: '/tmp/data/convert-api',
      CONVERT_API_OUTPUT_TTL_SECONDS: '120',
    });
    expect(env.FAST_API_KEY).toBeUndefined();
    expect(env.DASHBOARD_PASSWORD).toBeUndefined();
  });
});
