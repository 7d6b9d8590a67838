import os from 'node:os';
import { DEFAULT_LIMITS } from './converters/limits.ts';
import type { Converter } from './converters/types.ts';
import { clockShiftMs } from '../contract/test-clock.ts';

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** The system's clock (ahead by E2E_CLOCK_SHIFT_FILE's milliseconds in the e2e stack made for expiry). */
export const systemClock: Clock = { now: () => Date.now() + clockShiftMs() };

/** Node's timers overflow (and fire at once) above 2^31 - 1 ms: the longest delay a setTimeout can take. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface ConvertApiOptions {
  dataDir: string;
  /** API key → account name. */
  keys: Map<string, string>;
  outputTtlSeconds: number;
  /** Demo/test knob: a job stays Running at least this long, progress paced over it. */
  minJobMs: number;
  maxFileMb: number;
  maxActivePerAccount: number;
  maxRunningPerAccount: number;
  pollRatePerSecond: number;
  pollBurst: number;
  /** Conversions running at once, all accounts together. */
  workers: number;
  /** Decoded pixels one image may have (checked from its header, before decoding). */
  maxPixels: number;
  /** Memory limit of each converter tool (ffmpeg, pdftoppm, soffice, pandoc …) in MB; 0: none. */
  childMemoryMb: number;
  /** A job's conversion is stopped and the job Failed after this long (from its start; pacing not counted). */
  jobTimeoutSeconds: number;
  clock: Clock;
  converters: Converter[];
  /** How long a finished job's record is kept (CONTRACT.md: 24 h). */
  recordTtlSeconds: number;
  /** How often expiry is swept, in real milliseconds. */
  sweepIntervalMs: number;
}

export function defaultOptions(): Omit<ConvertApiOptions, 'converters' | 'dataDir' | 'keys'> {
  return {
    outputTtlSeconds: 3600,
    minJobMs: 0,
    maxFileMb: 50,
    maxActivePerAccount: 18,
    maxRunningPerAccount: 6,
    pollRatePerSecond: 1,
    pollBurst: 30,
    workers: os.availableParallelism(),
    jobTimeoutSeconds: 900,
    maxPixels: DEFAULT_LIMITS.maxPixels,
    childMemoryMb: DEFAULT_LIMITS.childMemoryMb,
    clock: systemClock,
    recordTtlSeconds: 24 * 3600,
    sweepIntervalMs: 1000,
  };
}
