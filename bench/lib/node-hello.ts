/**
 * Node's own floor for the proxy benchmark: a bare node:http server that answers every request with the
 * status body from memory (no upstream, no checks, no framework). Any Node proxy does strictly more work per
 * request than this, so its req/s and p99 bound what a single Node process can reach on the machine.
 * Env: BODY (the answer), PORT.
 */
import http from 'node:http';

const body = Buffer.from(process.env.BODY ?? '{}');
const headers = ['content-type', 'application/json', 'content-length', String(body.length)];

const server = http.createServer((_req, res) => {
  res.writeHead(200, headers);
  res.end(body);
});
server.keepAliveTimeout = 72_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => console.log(`listening on ${process.env.PORT}`));
process.once('SIGTERM', () => server.close(() => process.exit(0)));
