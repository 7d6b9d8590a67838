/**
 * The dashboard server alone in a process, so a test can measure its memory (/proc/<pid>/status) while
 * streaming through it. Env: UPSTREAM_URL, UPSTREAM_KEY. Prints `listening on http://127.0.0.1:PORT`.
 */
import type { AddressInfo } from 'node:net';
import { buildServer } from '../app.ts';
import { createUpstreamClient } from '../upstream.ts';

const upstream = createUpstreamClient({ base: process.env.UPSTREAM_URL!, apiKey: process.env.UPSTREAM_KEY! });
const app = await buildServer({ upstream, allowedHosts: [] });
await app.listen({ host: '127.0.0.1', port: 0 });
console.log(`listening on http://127.0.0.1:${(app.server.address() as AddressInfo).port}`);
process.on('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
