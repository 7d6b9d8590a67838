// @vitest-environment node
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseKeys } from '../config.ts';
import { tempDir } from './helpers.ts';

let dir: string | null = null;
afterEach(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
  dir = null;
});

describe('configuration from the environment', () => {
  it('uses the contract defaults', async () => {
    dir = await tempDir();
    const config = loadConfig({ CONVERT_API_DATA_DIR: dir, CONVERT_API_KEYS: 'k=a' });
    expect(config.host).toBe('127.0.0.1');
    expect(config.port).toBe(8790);
    expect(config.options).toMatchObject({
      dataDir: dir, outputTtlSeconds: 3600, minJobMs: 0, maxFileMb: 50, maxActivePerAccount: 18,
      maxRunningPerAccount: 6, pollRatePerSecond: 1, pollBurst: 30, maxPixels: 100_000_000, childMemoryMb: 4096,
    });
    expect(config.options.workers).toBeGreaterThanOrEqual(1);
  });

  it('reads every variable', async () => {
    dir = await tempDir();
    const config = loadConfig({
      CONVERT_API_HOST: '0.0.0.0', CONVERT_API_PORT: '0', CONVERT_API_DATA_DIR: dir, CONVERT_API_KEYS: 'k1=accountA, k2=accountB',
      CONVERT_API_OUTPUT_TTL_SECONDS: '2', CONVERT_API_MIN_JOB_MS: '1500', CONVERT_API_MAX_FILE_MB: '5',
      CONVERT_API_MAX_ACTIVE_PER_ACCOUNT: '4', CONVERT_API_MAX_RUNNING_PER_ACCOUNT: '2', CONVERT_API_POLL_RATE_PER_SECOND: '0.5',
      CONVERT_API_POLL_BURST: '3', CONVERT_API_WORKERS: '3', CONVERT_API_MAX_MEGAPIXELS: '40', CONVERT_API_CHILD_MEMORY_MB: '0',
    });
    expect(config.host).toBe('0.0.0.0');
    expect(config.port).toBe(0);
    expect(config.generatedKey).toBeNull();
    expect([...config.options.keys]).toEqual([['k1', 'accountA'], ['k2', 'accountB']]);
    expect(config.options).toMatchObject({
      outputTtlSeconds: 2, minJobMs: 1500, maxFileMb: 5, maxActivePerAccount: 4, maxRunningPerAccount: 2,
      pollRatePerSecond: 0.5, pollBurst: 3, workers: 3, maxPixels: 40_000_000, childMemoryMb: 0,
    });
  });

  it.each([
    ['CONVERT_API_PORT', '70000'], ['CONVERT_API_PORT', 'abc'], ['CONVERT_API_OUTPUT_TTL_SECONDS', '0'], ['CONVERT_API_MIN_JOB_MS', '-1'],
    ['CONVERT_API_MAX_FILE_MB', '1.5'], ['CONVERT_API_MAX_RUNNING_PER_ACCOUNT', '0'], ['CONVERT_API_POLL_RATE_PER_SECOND', '0'],
    ['CONVERT_API_POLL_BURST', 'many'], ['CONVERT_API_WORKERS', '0'], ['CONVERT_API_KEYS', ','], ['CONVERT_API_KEYS', 'k1=a,k1=b'],
    ['CONVERT_API_KEYS', 'k1='], ['CONVERT_API_MAX_MEGAPIXELS', '0'], ['CONVERT_API_CHILD_MEMORY_MB', '-5'],
  ])('refuses %s=%j with a message naming the variable', async (name, value) => {
    dir = await tempDir();
    const env = { CONVERT_API_DATA_DIR: dir, CONVERT_API_KEYS: 'k=a', [name]: value };
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(name);
  });

  it('generates one key when none is configured, keeps it in the data dir and reuses it', async () => {
    dir = await tempDir();
    const first = loadConfig({ CONVERT_API_DATA_DIR: dir });
    expect(first.generatedKey?.key).toMatch(/^fast_local_[0-9a-f]{48}$/);
    expect(first.generatedKey?.file).toBe(path.join(dir, 'api-key'));
    expect([...first.options.keys.keys()]).toEqual([first.generatedKey?.key]);
    const second = loadConfig({ CONVERT_API_DATA_DIR: dir });
    expect(second.generatedKey?.key).toBe(first.generatedKey?.key);
  });

  it('parses keys without an account name into one default account', () => {
    expect([...parseKeys('solo')]).toEqual([['solo', 'default']]);
  });
});
