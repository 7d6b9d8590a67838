// @vitest-environment node
import fs from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.ts';
import { tempDir } from './helpers.ts';

let dir: string | null = null;
afterEach(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
  dir = null;
});

describe('CONVERT_API_JOB_TIMEOUT_SECONDS', () => {
  it('defaults to 900 seconds', async () => {
    dir = await tempDir();
    expect(loadConfig({ CONVERT_API_DATA_DIR: dir, CONVERT_API_KEYS: 'k=a' }).options.jobTimeoutSeconds).toBe(900);
  });

  it('reads a positive whole number of seconds', async () => {
    dir = await tempDir();
    const config = loadConfig({ CONVERT_API_DATA_DIR: dir, CONVERT_API_KEYS: 'k=a', CONVERT_API_JOB_TIMEOUT_SECONDS: ' 60 ' });
    expect(config.options.jobTimeoutSeconds).toBe(60);
  });

  it.each(['0', '-5', '1.5', 'ten', '1e3', '9999999999'])('refuses %j with a message naming the variable', async (value) => {
    dir = await tempDir();
    const env = { CONVERT_API_DATA_DIR: dir, CONVERT_API_KEYS: 'k=a', CONVERT_API_JOB_TIMEOUT_SECONDS: value };
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(/^CONVERT_API_JOB_TIMEOUT_SECONDS must be/);
  });
});
