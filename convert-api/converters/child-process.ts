import { AsyncLocalStorage } from 'node:async_hooks';
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { diskFull, isDiskFull, outOfMemory } from './limits.ts';
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

const memoryLimit = new AsyncLocalStorage<number>();

/**
 * Runs `work` so that every tool it starts (through runProcess) runs under a memory limit of `megabytes`
 * (0: none). The runner wraps each conversion in it.
 */
export function withChildMemoryLimit<T>(megabytes: number, work: () => Promise<T>): Promise<T> {
  return memoryLimit.run(megabytes, work);
}

let prlimitPath: string | null | undefined;

/** util-linux's prlimit (Debian: always installed), looked up once; null when this system lacks it. */
function prlimit(): string | null {
  if (prlimitPath !== undefined) return prlimitPath;
  prlimitPath = null;
  for (const dir of [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin', '/bin']) {
    if (!dir) continue;
    try {
      accessSync(path.join(dir, 'prlimit'), constants.X_OK);
      prlimitPath = path.join(dir, 'prlimit');
      break;
    } catch {
      // not here
    }
  }
  if (prlimitPath === null) console.warn('convert-api: prlimit (util-linux) is missing, so conversion tools run without a memory limit.');
  return prlimitPath;
}

/**
 * The command line that starts `command` under a memory limit. Node has no setrlimit, so prlimit sets the limit on
 * itself and execs the tool (same pid, same process group, and the tool's own children inherit it).
 *
 * The limit is RLIMIT_DATA (heap, anonymous mappings, thread stacks), not RLIMIT_AS (`ulimit -v`): measured here,
 * ffmpeg encoding 720p H.264 with 280 MB resident fails under a 512 MB address-space limit, because every thread
 * reserves address space it never uses (glibc arenas, stacks), while pandoc, pdftoppm and soffice use a small share
 * of what they map (libraries, GHC's reservation). RLIMIT_DATA counts what a tool can actually fill.
 */
function limitedCommand(command: string, args: string[], megabytes: number): [string, string[]] {
  const wrapper = megabytes > 0 ? prlimit() : null;
  if (!wrapper) return [command, args];
  return [wrapper, [`--data=${megabytes * 1024 * 1024}`, '--', command, ...args]];
}

/**
 * How a tool that hit its memory limit ends: it says so (ffmpeg "Cannot allocate memory", poppler "Out of memory",
 * even with exit code 0 and a blank page), cannot start a thread or load a library, or crashes on a failed
 * allocation it did not check (pandoc: SIGSEGV; soffice: std::bad_alloc, SIGABRT). A tool that crashes for another
 * reason while under a limit is counted the same: it cannot be told apart afterwards.
 */
const OUT_OF_MEMORY_TEXT = /out of memory|cannot allocate memory|bad_alloc|memory exhausted|failed to allocate|allocation failed|failed to map segment|Resource temporarily unavailable/i;
const CRASH_SIGNALS = new Set(['SIGSEGV', 'SIGABRT', 'SIGBUS']);

function ranOutOfMemory(code: number | null, signal: NodeJS.Signals | null, stderr: string): boolean {
  if (signal !== null && CRASH_SIGNALS.has(signal)) return true;
  // The shell convention for a signal death, for a tool started through a wrapper script (soffice).
  if (code !== null && (code === 128 + 11 || code === 128 + 6 || code === 128 + 7)) return true;
  return OUT_OF_MEMORY_TEXT.test(stderr) && (code !== 0 || /out of memory/i.test(stderr));
}

/** The rejection of a run stopped by its AbortSignal: the signal's reason, or an AbortError. */
function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The conversion was aborted.', 'AbortError');
}

/**
 * Runs a program without a shell. The child gets its own process group, so that abort kills the whole tree
 * (soffice forks soffice.bin; a plain kill of the wrapper would leave the real worker running).
 * Inside `withChildMemoryLimit` it runs under that memory limit.
 * Resolves with the exit code whatever it is; rejects on abort, timeout or spawn failure, and with the
 * ConversionError of `outOfMemory` or `diskFull` when the tool failed for want of memory or disk space.
 */
export function runProcess(command: string, args: string[], options: RunOptions): Promise<RunResult> {
  const { signal } = options;
  if (signal.aborted) return Promise.reject(abortReason(signal));
  const limitMb = memoryLimit.getStore() ?? 0;
  const [program, programArgs] = limitedCommand(command, args, limitMb);
  return new Promise((resolve, reject) => {
    const child = spawn(program, programArgs, {
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

    const finish = (err: unknown, code: number | null, exitSignal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      if (ledger && leader !== undefined) ledger.remove(leader);
      signal.removeEventListener('abort', onAbort);
      if (timer) clearTimeout(timer);
      if (failure ?? err) reject(failure ?? err);
      else if (limitMb > 0 && prlimitPath && ranOutOfMemory(code, exitSignal, stderr)) reject(outOfMemory(limitMb));
      else if (code !== 0 && isDiskFull(stderr)) reject(diskFull());
      else resolve({ code: code ?? -1, stdout: Buffer.concat(stdoutChunks), stderr });
    };
    child.on('error', (err) => finish(err, -1, null));
    child.on('close', (code, exitSignal) => {
      if (options.onStdoutLine && stdoutRest) options.onStdoutLine(stdoutRest);
      finish(null, code, exitSignal);
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
