import { spawn } from 'node:child_process';
import { currentLedger } from './process-groups.ts';

export interface RunOptions {
  signal: AbortSignal;
  /** Called with each complete stdout line (only when set; otherwise stdout is collected). */
  onStdoutLine?: (line: string) => void;
  onStderrLine?: (line: string) => void;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Hard limit, so a wedged tool never holds a worker forever. */
  timeoutMs?: number;
  /** Upper bound of collected stdout, to keep memory bounded. */
  maxStdoutBytes?: number;
}

export interface RunResult {
  code: number;
  stdout: Buffer;
  /** The last few KB of stderr, for error details. */
  stderr: string;
}

/** The rejection of a run stopped by its AbortSignal: the signal's reason, or an AbortError. */
function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The conversion was aborted.', 'AbortError');
}

/**
 * Runs a program without a shell. The child gets its own process group, so that abort kills the whole tree
 * (soffice forks soffice.bin; a plain kill of the wrapper would leave the real worker running).
 * Resolves with the exit code whatever it is; rejects only on abort, timeout or spawn failure.
 */
export function runProcess(command: string, args: string[], options: RunOptions): Promise<RunResult> {
  const { signal } = options;
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    // Recorded while it runs, so that a service killed hard can stop it at its next start.
    const ledger = currentLedger();
    const leader = child.pid;
    if (ledger && leader !== undefined) ledger.add(leader);
    let settled = false;
    let failure: unknown = null;
    const killTree = () => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const onAbort = () => {
      failure ??= abortReason(signal);
      killTree();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const timer = options.timeoutMs
      ? setTimeout(() => {
          failure ??= new Error(`${command} did not finish within ${Math.round(options.timeoutMs! / 1000)} s.`);
          killTree();
        }, options.timeoutMs)
      : null;

    const stdoutChunks: Buffer[] = [];
    let stdoutBytes = 0;
    let stdoutRest = '';
    child.stdout.on('data', (chunk: Buffer) => {
      if (options.onStdoutLine) {
        const text = stdoutRest + chunk.toString('utf8');
        const lines = text.split('\n');
        stdoutRest = lines.pop() ?? '';
        for (const line of lines) options.onStdoutLine(line.trimEnd());
        return;
      }
      stdoutBytes += chunk.length;
      if (options.maxStdoutBytes && stdoutBytes > options.maxStdoutBytes) {
        failure ??= new Error(`${command} produced more output than allowed.`);
        killTree();
        return;
      }
      stdoutChunks.push(chunk);
    });
    let stderr = '';
    let stderrRest = '';
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      stderr = (stderr + text).slice(-8192);
      if (options.onStderrLine) {
        const lines = (stderrRest + text).split(/\r?\n|\r/);
        stderrRest = lines.pop() ?? '';
        for (const line of lines) options.onStderrLine(line);
      }
    });

    const finish = (err: unknown, code: number) => {
      if (settled) return;
      settled = true;
      if (ledger && leader !== undefined) ledger.remove(leader);
      signal.removeEventListener('abort', onAbort);
      if (timer) clearTimeout(timer);
      if (failure ?? err) reject(failure ?? err);
      else resolve({ code, stdout: Buffer.concat(stdoutChunks), stderr });
    };
    child.on('error', (err) => finish(err, -1));
    child.on('close', (code) => {
      if (options.onStdoutLine && stdoutRest) options.onStdoutLine(stdoutRest);
      finish(null, code ?? -1);
    });
  });
}

/** The last meaningful line of a tool's stderr, for an error detail. */
export function lastLine(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.at(-1) ?? 'no message';
}
