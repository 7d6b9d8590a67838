/** Where the e2e servers listen (started by playwright.config.ts, read by the fixtures). */
export const STACKS = {
  /** Dashboard + bundled service, four workers, jobs take at least 6 s, normal retention. */
  main: 'http://127.0.0.1:4310',
  /** Dashboard + bundled service, outputs expire 12 s after completion. */
  shortRetention: 'http://127.0.0.1:4311',
  /** Dashboard whose FAST_API_KEY the standalone service refuses. */
  wrongKey: 'http://127.0.0.1:4313',
} as const;

export type StackName = keyof typeof STACKS;

/** A bundled Convert service on its own (CONVERT_API_KEYS=right=acct), the wrong-key dashboard's upstream. */
export const STANDALONE_CONVERT_API = 'http://127.0.0.1:4312';

/** Wiped by each server's start command; under test-results/ so it is never committed. */
export const E2E_DATA_DIR = 'test-results/e2e-data';

export const SCREENSHOT_DIR = 'test-results/screenshots';
