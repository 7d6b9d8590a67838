/**
 * The obvious plain Node proxy of `GET /convert/job/{id}`: node:http + an undici Pool with keep-alive (`request`
 * API), the id checked, the key added, the small body collected and sent with an allow-listed header or two. No
 * framework, no security hooks, no logging. Not a product: a yardstick for the proxy benchmark (what the
 * textbook Node proxy costs here, beside the real one). With WORKERS=N it runs as N `node:cluster` workers on
 * one port: what a second process buys (and costs) on the same 2 cores. Env: FAST_API_BASE, FAST_API_KEY, PORT,
 * WORKERS (1).
 */
import cluster from 'node:cluster';
import http from 'node:http';
import { Pool } from 'undici';

const workers = Number(process.env.WORKERS ?? 1);
if (workers > 1 && cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  let online = 0;
  cluster.on('listening', () => {
    if (++online === workers) console.log(`listening on ${process.env.PORT} (${workers} workers)`);
  });
  process.once('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM');
    cluster.disconnect(() => process.exit(0));
  });
} else {
  serve();
}

function serve(): void {
  const key = process.env.FAST_API_KEY!;
  const pool = new Pool(process.env.FAST_API_BASE!, { connections: 64, pipelining: 1, keepAliveTimeout: 30_000 });
  const JOB = /^\/convert\/job\/[0-9a-f]{32}$/;

  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || !JOB.test(req.url ?? '')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":"not_found","detail":null}');
      return;
    }
    pool
      .request({ method: 'GET', path: req.url!, headers: { 'x-fast-api-key': key } })
      .then(async (answer) => {
        const chunks: Buffer[] = [];
        for await (const chunk of answer.body) chunks.push(chunk as Buffer);
        const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
        res.writeHead(answer.statusCode, {
          'content-type': String(answer.headers['content-type'] ?? 'application/json'),
          'content-length': body.length,
          'cache-control': 'no-store',
        });
        res.end(body);
      })
      .catch(() => {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end('{"error":"upstream.unreachable","detail":null}');
      });
  });
  server.keepAliveTimeout = 72_000;
  server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => console.log(`listening on ${process.env.PORT}`));
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
}
