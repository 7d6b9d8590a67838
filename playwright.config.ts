/**
 * End-to-end tests in Debian's Chromium against the real stack: the dashboard server (`tsx server/main.ts`)
 * with its bundled Convert service as a child, started fresh for each run. Five servers, on fixed ports so the
 * specs can reach them (e2e/stacks.ts; E2E_PORT_BASE moves them all):
 * - main: jobs take at least CONVERT_API_MIN_JOB_MS, so Queued → Running → Succeeded can be watched and a
 *   cancel can hit a running job;
 * - short retention: outputs expire after a few seconds, for the countdown and the 410;
 * - a standalone bundled Convert service plus a dashboard that talks to it with a wrong key, and one with the right
 *   key whose jobs do not move (the Stalled? spec).
 * Every data dir is wiped in the command itself, so a run never sees the previous run's batches.
 */
import { defineConfig, devices } from '@playwright/test';
import { CLOCK_SHIFT_FILE, E2E_DATA_DIR, STACKS, STANDALONE_CONVERT_API, WEBHOOK_RECEIVER } from './e2e/stacks.ts';

const CI = Boolean(process.env.CI);
const TSX = './node_modules/.bin/tsx';

function dataDir(name: string): string {
  return `${E2E_DATA_DIR}/${name}`;
}

/** `rm -rf` of its own data dir, then exec so Playwright's stop signal reaches the server itself. */
function dashboard(name: string, stack: string, env: Record<string, string>) {
  const port = new URL(stack).port;
  return {
    name,
    command: `rm -rf ${dataDir(name)} && exec ${TSX} server/main.ts`,
    url: `http://127.0.0.1:${port}/api/config`,
    env: { HOST: '127.0.0.1', PORT: port, DATA_DIR: dataDir(name), LOG_LEVEL: 'warn', ...env },
    reuseExistingServer: !CI,
    timeout: 120_000,
    stdout: 'pipe' as const,
    stderr: 'pipe' as const,
    gracefulShutdown: { signal: 'SIGTERM' as const, timeout: 5_000 },
  };
}

export default defineConfig({
  testDir: './e2e',
  outputDir: './test-results/e2e-output',
  workers: 1,
  retries: 0,
  fullyParallel: false,
  forbidOnly: CI,
  // Real conversions with a minimum job time: a test waits for several seconds of real state changes.
  timeout: 90_000,
  expect: { timeout: 20_000 },
  reporter: process.env.PW_JSON ? [['list'], ['json', { outputFile: process.env.PW_JSON }]] : [['list']],
  use: {
    baseURL: STACKS.main,
    acceptDownloads: true,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    viewport: { width: 1440, height: 900 },
  },
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        viewport: { width: 1440, height: 900 },
        launchOptions: {
          // The wrapper /usr/bin/chromium only adds a noisy shell check; the binary behind it is the same.
          executablePath: process.env.CHROMIUM_PATH ?? '/usr/lib/chromium/chromium',
          args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
        },
      },
    },
  ],
  webServer: [
    dashboard('main', STACKS.main, {
      // Four at once, at least 6 s each: the 12-file demo runs in three visible rounds.
      CONVERT_API_MIN_JOB_MS: '6000',
      CONVERT_API_WORKERS: '4',
      CONVERT_API_MAX_ACTIVE_PER_ACCOUNT: '60',
    }),
    dashboard('short-retention', STACKS.shortRetention, {
      OUTPUT_RETENTION_SECONDS: '12',
      CONVERT_API_MIN_JOB_MS: '2000',
      NOTIFY_WEBHOOK_URL: `${WEBHOOK_RECEIVER}/hook`,
      PUBLIC_URL: STACKS.shortRetention,
    }),
    {
      name: 'standalone-convert-api',
      command: `rm -rf ${dataDir('standalone-convert-api')} && exec ${TSX} convert-api/main.ts`,
      url: `${STANDALONE_CONVERT_API}/convert/conversions`,
      env: {
        CONVERT_API_HOST: '127.0.0.1',
        CONVERT_API_PORT: new URL(STANDALONE_CONVERT_API).port,
        CONVERT_API_KEYS: 'right=acct',
        CONVERT_API_DATA_DIR: dataDir('standalone-convert-api'),
        // A job that does not move, for the Stalled? spec: paced over 10 hours, it shows 0 % for its first 6 minutes.
        // The wrong-key dashboard never gets a job here.
        CONVERT_API_MIN_JOB_MS: String(10 * 3_600_000),
        CONVERT_API_WORKERS: '4',
      },
      reuseExistingServer: !CI,
      timeout: 120_000,
      stdout: 'pipe',
      stderr: 'pipe',
      gracefulShutdown: { signal: 'SIGTERM', timeout: 5_000 },
    },
    dashboard('wrong-key', STACKS.wrongKey, { FAST_API_BASE: STANDALONE_CONVERT_API, FAST_API_KEY: 'wrong' }),
    dashboard('stalls', STACKS.stalls, { FAST_API_BASE: STANDALONE_CONVERT_API, FAST_API_KEY: 'right', STALL_DEFAULT_SECONDS: '5' }),
    dashboard('clock-shift', STACKS.clockShift, {
      OUTPUT_RETENTION_SECONDS: '600',
      CONVERT_API_MIN_JOB_MS: '2000',
      E2E_CLOCK_SHIFT_FILE: CLOCK_SHIFT_FILE,
    }),
  ],
});
