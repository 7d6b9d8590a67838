/** Child processes for benchmarks: started in their own process group, always killed (the whole group). */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { onCleanup } from './cleanup.ts';

export const REPO_ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');

export interface Started {
  child: ChildProcess;
  pid: number;
  /** Everything printed so far (stdout + stderr), for error messages. */
  output(): string;
  stop(): Promise<void>;
}

export interface StartOptions extends Pick<SpawnOptions, 'env' | 'cwd'> {
  /** Resolves once a line of output matches; its first capture group is returned by `waitFor`. */
  ready?: RegExp;
  readyTimeoutMs?: number;
  /** Echo the child's output with this prefix (for debugging). */
  echo?: string;
}

export async function startProcess(
  command: string,
  args: string[],
  options: StartOptions = {},
): Promise<Started & { match: RegExpMatchArray | null }> {
  const child = spawn(command, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Own process group, so converters' and tools' grandchildren are killed with it.
    detached: true,
  });
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  const pid = child.pid;
  let out = '';
  let exited = false;
  const exitPromise = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve(); }));
  const stop = async () => {
    if (exited) return;
    killGroup(pid, 'SIGTERM');
    const killed = await Promise.race([exitPromise.then(() => true), delay(5000).then(() => false)]);
    if (!killed) {
      killGroup(pid, 'SIGKILL');
      await Promise.race([exitPromise, delay(2000)]);
    }
    // Grandchildren that ignored SIGTERM while their parent exited.
    killGroup(pid, 'SIGKILL');
  };
  const unregister = onCleanup(stop);
  void exitPromise.then(() => unregister());

  let match: RegExpMatchArray | null = null;
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      if (options.echo) process.stderr.write(text.replace(/^/gm, options.echo));
      if (out.length < 200_000) out += text;
      if (options.ready && !match) {
        const m = out.match(options.ready);
        if (m) { match = m; resolve(); }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    if (!options.ready) resolve();
    child.once('exit', (code, signal) => reject(new Error(`${command} exited (${code ?? signal}) before ready:\n${out.slice(-3000)}`)));
    const timer = setTimeout(() => reject(new Error(`${command} not ready within ${options.readyTimeoutMs ?? 60_000} ms:\n${out.slice(-3000)}`)), options.readyTimeoutMs ?? 60_000);
    timer.unref();
  });
  try {
    await ready;
  } catch (err) {
    await stop();
    throw err;
  }
  return { child, pid, output: () => out, stop, match };
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** A TypeScript entry point run by Node itself (not the `tsx` CLI, which adds a wrapper process), so `pid` is the server. */
export function startTs(script: string, env: Record<string, string>, options: Omit<StartOptions, 'env'> & { nodeArgs?: string[] } = {}) {
  return startProcess(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', script], {
    ...options,
    env: { ...process.env, NODE_ENV: 'production', ...env },
  });
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Waits until something accepts TCP connections on the port (bounded). */
export async function waitForPort(port: number, timeoutMs = 30_000, proc?: Started): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc && proc.child.exitCode !== null) throw new Error(`process exited (${proc.child.exitCode}) before listening on ${port}:\n${proc.output().slice(-3000)}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await delay(100);
  }
  throw new Error(`nothing listening on port ${port} after ${timeoutMs} ms${proc ? `:\n${proc.output().slice(-3000)}` : ''}`);
}

/** Runs a command to completion (bounded), returning wall time in ms. */
export async function runCommand(command: string, args: string[], options: { timeoutMs?: number; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ ms: number; stdout: string; stderr: string }> {
  const started = performance.now();
  const child = spawn(command, args, { cwd: options.cwd ?? REPO_ROOT, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const pid = child.pid!;
  const unregister = onCleanup(() => killGroup(pid, 'SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => { if (stdout.length < 1_000_000) stdout += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { if (stderr.length < 100_000) stderr += c.toString(); });
  const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), options.timeoutMs ?? 600_000);
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  clearTimeout(timer);
  unregister();
  const ms = performance.now() - started;
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${code}:\n${stderr.slice(-2000)}`);
  return { ms, stdout, stderr };
}

/** Resident set size of one process, in bytes (null once it is gone). */
export function rssBytes(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = status.match(/^VmRSS:\s+(\d+) kB/m);
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Samples a process's RSS every `everyMs` until stopped; returns the peak and the samples' median. */
export function sampleRss(pid: number, everyMs = 50): { stop(): { peak: number; median: number; samples: number } } {
  const samples: number[] = [];
  const take = () => { const v = rssBytes(pid); if (v !== null) samples.push(v); };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      const sorted = [...samples].sort((a, b) => a - b);
      return { peak: sorted[sorted.length - 1] ?? 0, median: sorted[Math.floor(sorted.length / 2)] ?? 0, samples: samples.length };
    },
  };
}

/** CPU seconds (user + system) used so far by a process and its direct children (nginx's workers). */
export function cpuSeconds(pid: number): number {
  const ticks = (p: number): number => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[0] is state (field 3); utime and stime are fields 14 and 15.
      return Number(fields[11]) + Number(fields[12]);
    } catch {
      return 0;
    }
  };
  let total = ticks(pid);
  for (const child of childPids(pid)) total += ticks(child);
  return total / 100; // USER_HZ is 100 on Linux
}

export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch { /* gone */ }
  }
  return out;
}

/** Every process below `pid` (children, grandchildren …), with its command line. */
export function descendants(pid: number): Array<{ pid: number; cmdline: string }> {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* gone */ }
  }
  const out: Array<{ pid: number; cmdline: string }> = [];
  for (const [child] of parentOf) {
    let p = parentOf.get(child);
    for (let depth = 0; p !== undefined && depth < 20; depth++) {
      if (p === pid) {
        try {
          out.push({ pid: child, cmdline: readFileSync(`/proc/${child}/cmdline`, 'utf8').replace(/\0/g, ' ') });
        } catch { /* gone */ }
        break;
      }
      p = parentOf.get(p);
    }
  }
  return out;
}
