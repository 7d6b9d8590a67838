import fs from 'node:fs/promises';

/** Live means present and not a zombie (a killed process may wait a moment for the container's init to reap it). */
export async function isAlive(pid: number): Promise<boolean> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && !/^\d+ \(.*\) Z/.test(stat);
}

export async function waitUntilGone(pids: number[], timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await Promise.all(pids.map(isAlive))).some(Boolean)) {
    if (Date.now() > deadline) throw new Error(`still alive: ${pids.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Live processes whose command line mentions the text (a job's tools name its upload). */
export async function processesMentioning(text: string): Promise<{ pid: number; cmdline: string }[]> {
  const found: { pid: number; cmdline: string }[] = [];
  for (const name of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const cmdline = await fs.readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text) && (await isAlive(Number(name)))) found.push({ pid: Number(name), cmdline });
  }
  return found;
}
