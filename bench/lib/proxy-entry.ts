/**
 * The dashboard server's proxy alone (buildServer + the upstream client, no batches, no tracker), as a child
 * process for the proxy benchmark. Used for the CPU profile (the real `server/main.ts` is benchmarked too when
 * it exists). Env: FAST_API_BASE, FAST_API_KEY, PORT, BENCH_CPU_PROFILE (a path: profile until SIGTERM).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { buildServer } from '../../server/app.ts';
import { createUpstreamClient } from '../../server/upstream.ts';

const upstream = createUpstreamClient({ base: process.env.FAST_API_BASE!, apiKey: process.env.FAST_API_KEY! });
const app = await buildServer({ upstream, allowedHosts: [] });
const profilePath = process.env.BENCH_CPU_PROFILE;
let session: Session | null = null;
if (profilePath) {
  session = new Session();
  session.connect();
  await new Promise<void>((resolve, reject) => session!.post('Profiler.enable', (e) => (e ? reject(e) : resolve())));
  await new Promise<void>((resolve, reject) => session!.post('Profiler.setSamplingInterval', { interval: 200 }, (e) => (e ? reject(e) : resolve())));
  await new Promise<void>((resolve, reject) => session!.post('Profiler.start', (e) => (e ? reject(e) : resolve())));
}
const address = await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
console.log(`listening on ${address}`);

process.once('SIGTERM', () => {
  if (!session) process.exit(0);
  session.post('Profiler.stop', (err, result) => {
    if (!err && result) writeFileSync(profilePath!, JSON.stringify(result.profile));
    process.exit(0);
  });
});
