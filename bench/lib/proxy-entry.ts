/**
 * The dashboard server's proxy core alone (buildServer + the upstream client: no batches, no tracker, no
 * job-action hook), as a child process for the proxy benchmark. Compared with `server/main.ts` it shows what
 * the rest of the server adds to the proxy's hot path. Env: FAST_API_BASE, FAST_API_KEY, PORT.
 */
import { buildServer } from '../../server/app.ts';
import { createUpstreamClient } from '../../server/upstream.ts';

const upstream = createUpstreamClient({ base: process.env.FAST_API_BASE!, apiKey: process.env.FAST_API_KEY! });
const app = await buildServer({ upstream, allowedHosts: [] });
const address = await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
console.log(`listening on ${address}`);
// A normal exit, so `node --cpu-prof` writes its profile.
process.once('SIGTERM', () => void app.close().finally(() => process.exit(0)));
