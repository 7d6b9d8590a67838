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
  const apiKey = `dash_${randomBytes(24).toString('hex')}`;
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
