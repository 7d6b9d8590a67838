import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_CHILD_MEMORY_MB, DEFAULT_MAX_MEGAPIXELS } from './converters/limits.ts';
import { MAX_TIMER_MS, type ConvertApiOptions } from './options.ts';

export class ConfigError extends Error {}

export interface ConvertApiConfig {
  host: string;
  port: number;
  /** Stop when standard input ends: set by the dashboard, which holds the other end, so its service ends with it. */
  stopWhenStdinEnds: boolean;
  options: Omit<ConvertApiOptions, 'converters' | 'clock' | 'recordTtlSeconds' | 'sweepIntervalMs'>;
  /** Set when no keys were configured: the key generated (or reused) and where it is kept. */
  generatedKey: { key: string; file: string } | null;
}

type Env = Record<string, string | undefined>;

const MAX_TIMER_SECONDS = Math.floor(MAX_TIMER_MS / 1000);

function integer(env: Env, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be a whole number, got "${raw}".`);
  const value = Number(raw.trim());
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}.`);
  return value;
}

function flag(env: Env, name: string): boolean {
  const raw = env[name]?.trim() ?? '';
  if (raw === '' || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  throw new ConfigError(`${name} must be 1 or 0, got "${raw}".`);
}

function positiveNumber(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw.trim());
  if (!Number.isFinite(value) || value <= 0) throw new ConfigError(`${name} must be a number above 0, got "${raw}".`);
  return value;
}

/** `key1=accountA,key2=accountB` → Map(key → account). */
export function parseKeys(raw: string): Map<string, string> {
  const keys = new Map<string, string>();
  for (const entry of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = entry.indexOf('=');
    const key = eq === -1 ? entry : entry.slice(0, eq).trim();
    const account = eq === -1 ? 'default' : entry.slice(eq + 1).trim();
    if (!/^[\x21-\x7e]+$/.test(key) || key.includes('=')) throw new ConfigError(`CONVERT_API_KEYS has an invalid key in "${entry}".`);
    if (!account) throw new ConfigError(`CONVERT_API_KEYS: the key in "${entry}" has no account name.`);
    if (keys.has(key)) throw new ConfigError('CONVERT_API_KEYS lists the same key twice.');
    keys.set(key, account);
  }
  if (keys.size === 0) throw new ConfigError('CONVERT_API_KEYS is set but lists no key (format: key1=accountA,key2=accountB).');
  return keys;
}

/** Without configured keys one key is generated once and kept in the data dir, so it survives restarts. */
function generatedKey(dataDir: string): { key: string; file: string } {
  const file = path.join(dataDir, 'api-key');
  try {
    const key = fs.readFileSync(file, 'utf8').trim();
    if (key) return { key, file };
  } catch {
    // not generated yet
  }
  fs.mkdirSync(dataDir, { recursive: true });
  const key = `fast_local_${randomBytes(24).toString('hex')}`;
  fs.writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return { key, file };
}

export function loadConfig(env: Env = process.env): ConvertApiConfig {
  const host = env.CONVERT_API_HOST?.trim() || '127.0.0.1';
  const port = integer(env, 'CONVERT_API_PORT', 8790, 0, 65535);
  const dataDir = path.resolve(env.CONVERT_API_DATA_DIR?.trim() || './data/convert-api');
  const rawKeys = env.CONVERT_API_KEYS;
  const generated = rawKeys === undefined || rawKeys.trim() === '' ? generatedKey(dataDir) : null;
  const keys = generated ? new Map([[generated.key, 'local']]) : parseKeys(rawKeys as string);
  const maxRunningPerAccount = integer(env, 'CONVERT_API_MAX_RUNNING_PER_ACCOUNT', 6, 1);
  const maxActivePerAccount = integer(env, 'CONVERT_API_MAX_ACTIVE_PER_ACCOUNT', 18, 1);
  return {
    host,
    port,
    stopWhenStdinEnds: flag(env, 'CONVERT_API_STOP_WHEN_STDIN_ENDS'),
    generatedKey: generated,
    options: {
      dataDir,
      keys,
      outputTtlSeconds: integer(env, 'CONVERT_API_OUTPUT_TTL_SECONDS', 3600, 1),
      minJobMs: integer(env, 'CONVERT_API_MIN_JOB_MS', 0, 0),
      maxFileMb: integer(env, 'CONVERT_API_MAX_FILE_MB', 50, 1, 1024 * 1024),
      maxActivePerAccount,
      maxRunningPerAccount,
      pollRatePerSecond: positiveNumber(env, 'CONVERT_API_POLL_RATE_PER_SECOND', 1),
      pollBurst: integer(env, 'CONVERT_API_POLL_BURST', 30, 1),
      workers: integer(env, 'CONVERT_API_WORKERS', os.availableParallelism(), 1),
      jobTimeoutSeconds: integer(env, 'CONVERT_API_JOB_TIMEOUT_SECONDS', 900, 1, MAX_TIMER_SECONDS),
      maxPixels: integer(env, 'CONVERT_API_MAX_MEGAPIXELS', DEFAULT_MAX_MEGAPIXELS, 1, 10_000) * 1_000_000,
      childMemoryMb: integer(env, 'CONVERT_API_CHILD_MEMORY_MB', DEFAULT_CHILD_MEMORY_MB, 0, 1024 * 1024),
    },
  };
}
