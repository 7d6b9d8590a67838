/**
 * Starts the bundled Convert service (convert-api/) as a child process on loopback with a fresh random key,
 * and learns its URL from the `listening on http://…` line it prints. A child rather than in-process so a
 * crash or a heavy conversion in it cannot take the dashboard down, and so `server/` talks to it over HTTP
 * only (DESIGN.md).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import readline from 'node:readline';
import type { UpstreamClient } from './upstream.ts';

export interface BundledConvertApi {
  url: string;
  /** The generated key; give it to createUpstreamClient, never print it. */
  apiKey: string;
  child: ChildProcess;
  /** Resolves with the exit code when the child has exited. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export interface BundledOptions {
  dataDir: string;
  outputRetentionSeconds: number;
  /** Project root (where convert-api/ is). */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Where the child's own output lines go. */
  log?: (line: string) => void;
  startTimeoutMs?: number;
  /** The key to give the service (default: a fresh random one). */
  apiKey?: string;
}

/** The environment of the child: ours minus the dashboard's secrets, plus its own settings. */
export function childEnv(env: NodeJS.ProcessEnv, options: BundledOptions, apiKey: string): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith('FAST_API_') || name === 'DASHBOARD_PASSWORD') continue;
    out[name] = value;
  }
  return {
    ...out,
    CONVERT_API_HOST: '127.0.0.1',
    CONVERT_API_PORT: '0',
    CONVERT_API_KEYS: `${apiKey}=dashboard`,
    CONVERT_API_DATA_DIR: path.resolve(options.dataDir, 'convert-api'),
    CONVERT_API_OUTPUT_TTL_SECONDS: String(options.outputRetentionSeconds),
    CONVERT_API_STOP_WHEN_STDIN_ENDS: '1',
  };
}

export async function startBundledConvertApi(options: BundledOptions): Promise<BundledConvertApi> {
  const apiKey = options.apiKey ?? `dash_${randomBytes(24).toString('hex')}`;
  const log = options.log ?? ((line: string) => console.log(`[convert-api] ${line}`));
  const child = spawn(process.execPath, ['--import', 'tsx', 'convert-api/main.ts'], {
    cwd: options.cwd ?? process.cwd(),
    env: childEnv(options.env ?? process.env, options, apiKey),
    // stdin is the lifeline: nothing is written to it, and it closes when this process ends, however it ends.
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stderrTail: string[] = [];
  readline.createInterface({ input: child.stderr }).on('line', (line) => {
    stderrTail.push(line);
    if (stderrTail.length > 20) stderrTail.shift();
    log(line);
  });

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('The bundled Convert service did not start in time.'));
    }, options.startTimeoutMs ?? 60_000);
    let found = false;
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (!found && match) {
        found = true;
        clearTimeout(timer);
        resolve(match[1].replace(/\/+$/, ''));
      } else {
        log(line);
      }
    });
    void exited.then((code) => {
      if (found) return;
      clearTimeout(timer);
      reject(new Error(`The bundled Convert service exited (code ${code}) before listening:\n${stderrTail.join('\n')}`));
    });
  });

  return {
    url,
    apiKey,
    child,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface SupervisedConvertApi {
  /** The running child's URL (changes with each restart: it listens on a free port). */
  readonly url: string;
  readonly apiKey: string;
  /** The running child's process id. */
  readonly pid: number | undefined;
  /** `restarting` from the moment a child died unexpectedly until its successor listens. */
  readonly state: 'running' | 'restarting';
  /** When `state` last changed (ms since the epoch). */
  readonly since: number;
  /** Called after each restart, once the new child listens. */
  onRestarted(listener: (api: { url: string; apiKey: string }) => void): void;
  /** Stops the child and any restart to come. */
  stop(): Promise<void>;
}

export interface SupervisorOptions extends BundledOptions {
  /** First wait before a restart; it doubles after each crash that follows a short run. */
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
  /** A child that ran this long before dying restarts after the first delay again. */
  stableAfterMs?: number;
}

/**
 * The bundled service under supervision: a child that dies unexpectedly (a crash, `kill -9`, a converter that
 * took it down) is started again with backoff, on the same data folder (its own data-folder lock waits for the
 * previous holder) and with the same key, while the dashboard stays up and reports it as restarting.
 */
export async function superviseBundledConvertApi(options: SupervisorOptions): Promise<SupervisedConvertApi> {
  const log = options.log ?? ((line: string) => console.log(`[convert-api] ${line}`));
  const firstDelay = options.restartDelayMs ?? 500;
  const maxDelay = options.maxRestartDelayMs ?? 30_000;
  const stableAfter = options.stableAfterMs ?? 60_000;
  const apiKey = options.apiKey ?? `dash_${randomBytes(24).toString('hex')}`;
  const listeners: ((api: { url: string; apiKey: string }) => void)[] = [];
  let current = await startBundledConvertApi({ ...options, apiKey });
  let state: 'running' | 'restarting' = 'running';
  let since = Date.now();
  let startedAt = Date.now();
  let delay = firstDelay;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;

  const watch = (child: BundledConvertApi) => {
    void child.exited.then((code) => {
      if (stopped || child !== current) return;
      const signal = child.child.signalCode;
      if (Date.now() - startedAt >= stableAfter) delay = firstDelay;
      console.error(
        `The bundled Convert service stopped unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`}); ` +
          `restarting it in ${(delay / 1000).toFixed(1)} s. The dashboard stays up.`,
      );
      state = 'restarting';
      since = Date.now();
      schedule();
    });
  };

  const schedule = () => {
    timer = setTimeout(() => {
      timer = null;
      void restart();
    }, delay);
    delay = Math.min(maxDelay, delay * 2);
  };

  const restart = async () => {
    if (stopped) return;
    try {
      const next = await startBundledConvertApi({ ...options, apiKey, log });
      if (stopped) {
        await next.stop();
        return;
      }
      current = next;
      startedAt = Date.now();
      state = 'running';
      since = Date.now();
      console.error(`The bundled Convert service is running again at ${next.url}.`);
      for (const listener of listeners) listener({ url: next.url, apiKey });
      watch(next);
    } catch (error) {
      console.error(`The bundled Convert service did not start again (${(error as Error).message.split('\n')[0]}); trying again in ${(delay / 1000).toFixed(1)} s.`);
      schedule();
    }
  };

  watch(current);
  return {
    get url() {
      return current.url;
    },
    apiKey,
    get pid() {
      return current.child.pid;
    },
    get state() {
      return state;
    },
    get since() {
      return since;
    },
    onRestarted(listener) {
      listeners.push(listener);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await current.stop();
    },
  };
}

/**
 * An UpstreamClient that can be pointed at another one (the bundled service restarted on a new port): the
 * proxy, the tracker and the submissions hold this one and follow. Every property is read from the current
 * client at the moment of use, so it keeps up with whatever UpstreamClient offers.
 */
export function followingUpstream(initial: UpstreamClient): { client: UpstreamClient; switchTo(next: UpstreamClient): Promise<void> } {
  let current = initial;
  const client = new Proxy({} as UpstreamClient, {
    get(_target, property) {
      if (property === 'close') return () => current.close();
      const value: unknown = Reflect.get(current, property);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(current) : value;
    },
  });
  return {
    client,
    async switchTo(next) {
      const previous = current;
      current = next;
      // Requests still on the old pool fail as they would have anyway (their service is gone).
      await previous.close().catch(() => {});
    },
  };
}
