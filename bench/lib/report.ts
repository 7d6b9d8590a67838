/** Statistics and result files shared by the benchmarks. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { REPO_ROOT } from './proc.ts';

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length)));
  return s[rank - 1];
}

export function loadavg(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').trim();
  } catch {
    return os.loadavg().map((v) => v.toFixed(2)).join(' ');
  }
}

export function machine() {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch { /* not a git checkout */ }
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    commit,
  };
}

export interface Goal {
  name: string;
  value: number;
  /** `<=`: value must not exceed limit; `>=`: must reach it. */
  op: '<=' | '>=';
  limit: number;
  unit?: string;
}

export function goalMet(g: Goal): boolean {
  return Number.isFinite(g.value) && (g.op === '<=' ? g.value <= g.limit : g.value >= g.limit);
}

export function fmt(n: number, digits = 2): string {
  return Number.isFinite(n) ? n.toFixed(digits) : String(n);
}

export function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/**
 * Writes `bench/results/<name>.json` (everything) and `<name>.md` (a human summary: the goals table, then notes).
 */
export function writeResults(name: string, data: { startedAt: string; loadavgAtStart: string; goals: Goal[]; notes: string[]; [k: string]: unknown }, extraMarkdown = ''): void {
  const dir = path.join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const full = { name, ...data, machine: machine(), loadavgAtEnd: loadavg(), goalsMet: data.goals.every(goalMet) };
  writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(full, null, 2) + '\n');
  const lines = [
    `# bench: ${name}`,
    '',
    `Run ${data.startedAt} on ${full.machine.cpus} cores (${full.machine.cpuModel}), Node ${full.machine.node}, commit ${full.machine.commit}.`,
    `Load average at start: \`${data.loadavgAtStart}\`; at end: \`${full.loadavgAtEnd}\` (other work on the machine skews the numbers).`,
    '',
    '| goal | measured | target | met |',
    '|---|---|---|---|',
    ...data.goals.map((g) => `| ${g.name} | ${fmt(g.value)}${g.unit ?? ''} | ${g.op} ${fmt(g.limit)}${g.unit ?? ''} | ${goalMet(g) ? 'yes' : '**no**'} |`),
    '',
    extraMarkdown,
    ...(data.notes.length ? ['## Notes', '', ...data.notes.map((n) => `- ${n}`), ''] : []),
  ];
  writeFileSync(path.join(dir, `${name}.md`), lines.join('\n'));
  console.log(`\nresults: bench/results/${name}.json, bench/results/${name}.md`);
}

export function printGoals(goals: Goal[]): void {
  console.log('\ngoal'.padEnd(52) + 'measured'.padEnd(14) + 'target');
  for (const g of goals) {
    console.log(`${goalMet(g) ? 'ok  ' : 'MISS'} ${g.name.padEnd(46)} ${(fmt(g.value) + (g.unit ?? '')).padEnd(13)} ${g.op} ${fmt(g.limit)}${g.unit ?? ''}`);
  }
}
