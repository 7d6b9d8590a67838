import { AsyncLocalStorage } from 'node:async_hooks';
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

/**
 * The process groups of the converter tools a service has running, kept in a file. A service that is killed
 * hard (kill -9, the OOM killer) cannot stop its tools: they run on, detached, for as long as their conversion
 * takes. At its next start the service reads the file and kills what is left (`reapProcessGroups`).
 *
 * A group is named by its leader's pid, which the kernel may give to another process once the group is gone.
 * So each entry also holds the leader's start time and the boot it ran in: only processes of that group that
 * started no earlier than its leader, in the same boot, are killed. Linux only (/proc); elsewhere it does nothing.
 */
export class ProcessGroupLedger {
  private readonly groups = new Map<number, number>();

  constructor(private readonly file: string) {}

  /** Runs `work` so that every tool it starts (through runProcess) is recorded here while it runs. */
  run<T>(work: () => Promise<T>): Promise<T> {
    return current.run(this, work);
  }

  add(pid: number): void {
    const start = startTime(pid);
    if (start === null) return;
    this.groups.set(pid, start);
    this.save();
  }

  remove(pid: number): void {
    if (this.groups.delete(pid)) this.save();
  }

  private save(): void {
    try {
      const entries: LedgerFile = { bootId: bootId(), groups: [...this.groups].map(([pgid, start]) => ({ pgid, start })) };
      // Written whole and renamed, so a crash mid-write leaves the previous list, never half of one.
      writeFileSync(`${this.file}.tmp`, JSON.stringify(entries));
      renameSync(`${this.file}.tmp`, this.file);
    } catch {
      // The list is a safety net for a crash; a full disk must not fail the conversion itself.
    }
  }
}

interface LedgerFile {
  bootId: string | null;
  groups: { pgid: number; start: number }[];
}

const current = new AsyncLocalStorage<ProcessGroupLedger>();

/** The ledger of the conversion this call runs in, if any. */
export function currentLedger(): ProcessGroupLedger | undefined {
  return current.getStore();
}

/**
 * Kills what is left of the groups listed in `file` by a service that did not stop them, then removes the file.
 * Call it only while holding the data folder (so its writer is gone). Returns the pids killed.
 */
export function reapProcessGroups(file: string): number[] {
  let saved: LedgerFile;
  try {
    saved = JSON.parse(readFileSync(file, 'utf8')) as LedgerFile;
  } catch {
    return [];
  }
  rmSync(file, { force: true });
  if (saved.bootId === null || saved.bootId !== bootId() || !Array.isArray(saved.groups)) return [];
  const wanted = new Map(saved.groups.map((group) => [group.pgid, group.start]));
  const killed: number[] = [];
  for (const proc of processes()) {
    const leaderStart = wanted.get(proc.pgid);
    if (leaderStart === undefined || proc.start < leaderStart || proc.pid === process.pid) continue;
    try {
      process.kill(proc.pid, 'SIGKILL');
      killed.push(proc.pid);
    } catch {
      // gone meanwhile
    }
  }
  return killed;
}

function bootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return null;
  }
}

/** Fields of /proc/<pid>/stat after the command name, which is in parentheses and may itself hold spaces. */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** The start time of a process, in clock ticks since boot (field 22 of /proc/<pid>/stat). */
function startTime(pid: number): number | null {
  const fields = statFields(pid);
  return fields ? Number(fields[19]) : null;
}

function* processes(): Generator<{ pid: number; pgid: number; start: number }> {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const fields = statFields(Number(name));
    // Fields after the name: state, ppid, pgrp (index 2), … starttime (index 19).
    if (fields) yield { pid: Number(name), pgid: Number(fields[2]), start: Number(fields[19]) };
  }
}
