/** Where the e2e servers listen (started by playwright.config.ts, read by the fixtures). */

/**
 * The first of the e2e ports (default 4310). Set E2E_PORT_BASE to run a second copy of the suite on the same
 * machine (another checkout) without the two sharing servers.
 */
const BASE = Number(process.env.E2E_PORT_BASE ?? 4310);

function origin(offset: number): string {
  return `http://127.0.0.1:${BASE + offset}`;
}

export const STACKS = {
  /** Dashboard + bundled service, four workers, jobs take at least 6 s, normal retention. */
  main: origin(0),
  /** Dashboard + bundled service, outputs expire 12 s after completion. */
  shortRetention: origin(1),
  /** Dashboard whose FAST_API_KEY the standalone service refuses. */
  wrongKey: origin(3),
  /**
   * Dashboard on the standalone service with the right key: its jobs stay at 0 % for minutes (the service paces
   * each job over 10 hours), and a job without progress for 5 s is *Stalled?* (STALL_DEFAULT_SECONDS).
   */
  stalls: origin(4),
  /** Dashboard + bundled service whose clocks a spec moves ahead (CLOCK_SHIFT_FILE), outputs kept 10 minutes. */
  clockShift: origin(6),
} as const;

export type StackName = keyof typeof STACKS;

/**
 * A bundled Convert service on its own (CONVERT_API_KEYS=right=acct), the upstream of the wrong-key and stalls
 * dashboards. Its jobs last 10 hours (CONVERT_API_MIN_JOB_MS), their percent moving 1 point every 6 minutes.
 */
export const STANDALONE_CONVERT_API = origin(2);

/** A webhook receiver the insight spec listens on; the short-retention dashboard notifies it (NOTIFY_WEBHOOK_URL). */
export const WEBHOOK_RECEIVER = origin(5);

/** Wiped by each server's start command; under test-results/ so it is never committed. */
export const E2E_DATA_DIR = 'test-results/e2e-data';

export const SCREENSHOT_DIR = 'test-results/screenshots';

/**
 * The clock-shift stack's E2E_CLOCK_SHIFT_FILE (contract/test-clock.ts): milliseconds its dashboard and bundled
 * service run ahead. Inside its data folder, so each start of the stack begins at 0.
 */
export const CLOCK_SHIFT_FILE = `${E2E_DATA_DIR}/clock-shift/e2e-clock-shift-ms`;
