/**
 * The dashboard server's configuration, from the environment (and a `.env` file, read by main.ts).
 * Errors are thrown as ConfigError with a message an operator can act on; the API key never appears in one.
 */
import { isIP } from 'node:net';
import { DEFAULT_UPLOADS_PER_CLIENT, DEFAULT_UPLOAD_IDLE_MS, DEFAULT_UPSTREAM_IDLE_MS } from './upstream.ts';
import { INSIGHT_RULES } from './history/rules.ts';
import { POLICY } from './tracker/policy.ts';

export interface DashboardConfig {
  /** Upstream Convert API base; null means "start the bundled convert-api". */
  apiBase: string | null;
  /** Key for `apiBase`; null with the bundled service (main.ts generates one). */
  apiKey: string | null;
  host: string;
  /** 0 picks a free port. */
  port: number;
  dataDir: string;
  outputRetentionSeconds: number;
  /** Null when unset or empty. */
  password: string | null;
  /** Extra Host names accepted besides the loopback names and `host`. */
  allowedHosts: string[];
  /**
   * Reverse proxies whose X-Forwarded-For is believed (addresses, CIDRs, or loopback / linklocal / uniquelocal),
   * so that the password slow-down counts each client, not the proxy. Empty: the peer's address counts.
   */
  trustProxy: string[];
  /** An upstream answer's body that stalls or dribbles this long is cut off (UPSTREAM_IDLE_SECONDS). */
  upstreamIdleMs: number;
  /** An upload body that stalls this long is answered 408 (UPLOAD_IDLE_SECONDS). */
  uploadIdleMs: number;
  /** Uploads one client may have running at once (UPLOADS_PER_CLIENT). */
  uploadsPerClient: number;
  /** MAX_JOBS_PER_BATCH: jobs one batch may list. */
  maxJobsPerBatch: number;
  /** MAX_JOBS_TOTAL: distinct jobs all batches together may list (each is tracked). */
  maxJobsTotal: number;
  /** Kept outputs (server/outputs): the budget for all copies together, how long each stays, new batches' switch. */
  keepOutputs: { maxBytes: number; keepDays: number; default: boolean };
  /** The tracker's total status requests per second, all jobs together (TRACKER_MAX_RPS). */
  trackerMaxRps: number;
  /** Incoming webhooks that receive batch events (server/notify); empty: none. */
  webhookUrls: string[];
  /** The dashboard's address as operators reach it, for links in notifications; null: no links. */
  publicUrl: string | null;
  /** FEED_MAX_ACTIVE: jobs the feeder keeps queued + running upstream at most (the account's limit). */
  feedMaxActive: number;
  /** SPOOL_MAX_GB, in bytes: uploaded files kept at most. */
  spoolMaxBytes: number;
  /** SOURCE_RETENTION_HOURS: an uploaded file is kept this long after its job succeeded. */
  sourceRetentionHours: number;
  /** STALL_DEFAULT_SECONDS: a running job without progress is *Stalled?* after this, until its conversion has a history. */
  stallDefaultSeconds: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const DEFAULT_PORT = 8787;
export const DEFAULT_MAX_JOBS_PER_BATCH = 100_000;
export const DEFAULT_MAX_JOBS_TOTAL = 1_000_000;

/** 127.0.0.0/8, ::1 (any spelling) and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^(0{1,4}:){7}0{0,3}1$/.test(h) || /^::ffff:127\./.test(h);
  return false;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number between ${min} and ${max} (got "${raw}").`);
  }
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): DashboardConfig {
  const apiBaseRaw = env.FAST_API_BASE?.trim() || null;
  const apiKey = env.FAST_API_KEY?.trim() || null;
  let apiBase: string | null = null;
  if (apiBaseRaw) {
    let url: URL;
    try {
      url = new URL(apiBaseRaw);
    } catch {
      throw new ConfigError(`FAST_API_BASE is not a URL (got "${apiBaseRaw}"); expected e.g. https://api.tools.fast`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ConfigError('FAST_API_BASE must be an http:// or https:// URL.');
    }
    if (url.username || url.password || url.search || url.hash) {
      throw new ConfigError('FAST_API_BASE must not contain credentials, a query or a fragment; put the key in FAST_API_KEY.');
    }
    if (!apiKey) {
      throw new ConfigError(
        'FAST_API_KEY is required when FAST_API_BASE is set: set FAST_API_KEY to your Convert API key ' +
          '(in the environment or in .env), or unset FAST_API_BASE to use the bundled Convert service.',
      );
    }
    apiBase = url.origin + url.pathname.replace(/\/+$/, '');
  }

  const host = env.HOST?.trim() || '127.0.0.1';
  const password = env.DASHBOARD_PASSWORD ? env.DASHBOARD_PASSWORD : null;
  if (!isLoopbackHost(host) && password === null) {
    throw new ConfigError(
      `Refusing to listen on ${host}: it is not a loopback address, and without DASHBOARD_PASSWORD anyone who ` +
        'can reach it could use your Convert API key. Set DASHBOARD_PASSWORD (HTTP Basic auth, any user name) ' +
        'or set HOST=127.0.0.1.',
    );
  }

  const allowedHosts = (env.ALLOWED_HOSTS ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);

  const trustProxy = (env.TRUST_PROXY ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of trustProxy) {
    if (!isProxyAddress(entry)) {
      throw new ConfigError(
        `TRUST_PROXY lists "${entry}", which is not an address, a CIDR range or one of loopback, linklocal, ` +
          'uniquelocal. List only your reverse proxies (e.g. TRUST_PROXY=127.0.0.1): a client that is not one of ' +
          'them could otherwise choose the address the password slow-down sees.',
      );
    }
  }

  const webhookUrls = (env.NOTIFY_WEBHOOK_URL ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  for (const url of webhookUrls) {
    if (!isHttpUrl(url)) {
      throw new ConfigError('NOTIFY_WEBHOOK_URL must list http:// or https:// URLs, separated by commas (one of them is not).');
    }
  }
  const publicUrl = env.PUBLIC_URL?.trim() || null;
  if (publicUrl !== null && !isHttpUrl(publicUrl)) {
    throw new ConfigError(`PUBLIC_URL must be an http:// or https:// URL, e.g. https://dashboard.example.com (got "${publicUrl}").`);
  }
  const maxGbRaw = env.KEEP_OUTPUTS_MAX_GB?.trim();
  const maxGb = maxGbRaw ? Number(maxGbRaw) : 20;
  if (!Number.isFinite(maxGb) || maxGb < 0) {
    throw new ConfigError(`KEEP_OUTPUTS_MAX_GB must be a number of gigabytes, 0 or more (got "${maxGbRaw}"); 0 keeps nothing.`);
  }
  const keepDefaultRaw = env.KEEP_OUTPUTS_DEFAULT?.trim().toLowerCase() || 'on';
  if (keepDefaultRaw !== 'on' && keepDefaultRaw !== 'off') {
    throw new ConfigError(`KEEP_OUTPUTS_DEFAULT must be on or off (got "${env.KEEP_OUTPUTS_DEFAULT}").`);
  }

  return {
    keepOutputs: {
      maxBytes: Math.floor(maxGb * 1024 ** 3),
      keepDays: integer(env, 'KEEP_OUTPUTS_DAYS', 7, 1, 3650),
      default: keepDefaultRaw === 'on',
    },
    apiBase,
    apiKey: apiBase ? apiKey : null,
    host,
    port: integer(env, 'PORT', DEFAULT_PORT, 0, 65535),
    dataDir: env.DATA_DIR?.trim() || './data',
    outputRetentionSeconds: integer(env, 'OUTPUT_RETENTION_SECONDS', 3600, 1, 365 * 24 * 3600),
    password,
    allowedHosts,
    trustProxy,
    upstreamIdleMs: integer(env, 'UPSTREAM_IDLE_SECONDS', DEFAULT_UPSTREAM_IDLE_MS / 1000, 1, 3600) * 1000,
    uploadIdleMs: integer(env, 'UPLOAD_IDLE_SECONDS', DEFAULT_UPLOAD_IDLE_MS / 1000, 1, 3600) * 1000,
    uploadsPerClient: integer(env, 'UPLOADS_PER_CLIENT', DEFAULT_UPLOADS_PER_CLIENT, 1, 1000),
    maxJobsPerBatch: integer(env, 'MAX_JOBS_PER_BATCH', DEFAULT_MAX_JOBS_PER_BATCH, 1, 10_000_000),
    maxJobsTotal: integer(env, 'MAX_JOBS_TOTAL', DEFAULT_MAX_JOBS_TOTAL, 1, 100_000_000),
    trackerMaxRps: integer(env, 'TRACKER_MAX_RPS', POLICY.maxRps, 1, 1000),
    webhookUrls,
    publicUrl: publicUrl === null ? null : publicUrl.replace(/\/+$/, ''),
    feedMaxActive: integer(env, 'FEED_MAX_ACTIVE', 18, 1, 10_000),
    spoolMaxBytes: Math.round(decimal(env, 'SPOOL_MAX_GB', 20, 0.000001, 1_000_000) * 1024 ** 3),
    sourceRetentionHours: decimal(env, 'SOURCE_RETENTION_HOURS', 24, 0, 24 * 365),
    stallDefaultSeconds: integer(env, 'STALL_DEFAULT_SECONDS', INSIGHT_RULES.stallDefaultMs / 1000, 1, 7 * 24 * 3600),
  };
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function decimal(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || value < min || value > max) {
    throw new ConfigError(`${name} must be a number between ${min} and ${max} (got "${raw}").`);
  }
  return value;
}

function isProxyAddress(entry: string): boolean {
  if (entry === 'loopback' || entry === 'linklocal' || entry === 'uniquelocal') return true;
  const [address, bits, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}
