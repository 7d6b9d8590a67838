/**
 * A scriptable fake Convert API for tests of what the real bundled service cannot produce: redirects,
 * resets, silence, huge or slow streams. Plain node:http on 127.0.0.1, port 0.
 *
 *   const fake = await startFakeUpstream();          // fake.url = 'http://127.0.0.1:PORT'
 *   fake.handle(answers.json(200, { id, status: 'Running' }));   // every request gets this answer
 *   fake.handle((req, res, rec) => …);               // or any handler; `rec` is the recorded request
 *   fake.requests                                    // RecordedRequest[]: method, url, headers, bodyBytes…
 *   await fake.nextRequest()                         // resolves on the next request that arrives
 *   await fake.close()
 *
 * Every request body is read and counted (`bodyBytes`, `bodyText` for the first 64 KiB) before or while the
 * handler runs, unless the handler answers first. `rec.closed` resolves when the connection of that
 * request closes (with `rec.aborted` telling whether the response had not finished: the client went away).
 *
 * The default handler answers `200` with a job status of the contract's shape (so the proxy passes it).
 */
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { jobId, statusBody } from '../tracker/test-fixtures.ts';

export interface RecordedRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  headers: IncomingHttpHeaders;
  /** Raw header pairs, to see duplicates. */
  rawHeaders: string[];
  bodyBytes: number;
  /** First 64 KiB of the body as text. */
  bodyText: string;
  /** Resolves when the whole body was read. */
  bodyDone: Promise<void>;
  aborted: boolean;
  /** Resolves when the response closed (finished or not); `aborted` is set by then. */
  closed: Promise<void>;
  closedAt: number | null;
}

export type FakeHandler = (req: IncomingMessage, res: ServerResponse, rec: RecordedRequest) => void | Promise<void>;

export interface FakeUpstream {
  url: string;
  port: number;
  requests: RecordedRequest[];
  handle(handler: FakeHandler): void;
  nextRequest(): Promise<RecordedRequest>;
  close(): Promise<void>;
}

const TEXT_LIMIT = 64 * 1024;

export async function startFakeUpstream(): Promise<FakeUpstream> {
  let handler: FakeHandler = answers.json(200, statusBody(jobId(0), 'Running', 50));
  const requests: RecordedRequest[] = [];
  const waiters: ((rec: RecordedRequest) => void)[] = [];
  const sockets = new Set<Socket>();

  const server = http.createServer((req, res) => {
    let markClosed!: () => void;
    let markBodyDone!: () => void;
    const rec: RecordedRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      bodyBytes: 0,
      bodyText: '',
      bodyDone: new Promise((resolve) => (markBodyDone = resolve)),
      aborted: false,
      closed: new Promise((resolve) => (markClosed = resolve)),
      closedAt: null,
    };
    req.on('data', (chunk: Buffer) => {
      rec.bodyBytes += chunk.length;
      if (rec.bodyText.length < TEXT_LIMIT) rec.bodyText += chunk.subarray(0, TEXT_LIMIT - rec.bodyText.length).toString('latin1');
    });
    req.on('end', () => markBodyDone());
    req.on('error', () => markBodyDone());
    req.on('close', () => markBodyDone());
    res.on('close', () => {
      rec.aborted = !res.writableFinished;
      rec.closedAt = Date.now();
      markClosed();
    });
    requests.push(rec);
    waiters.splice(0).forEach((resolve) => resolve(rec));
    Promise.resolve(handler(req, res, rec)).catch((error) => {
      if (!res.headersSent) res.writeHead(500).end(String(error));
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    handle(next) {
      handler = next;
    },
    nextRequest() {
      return new Promise((resolve) => waiters.push(resolve));
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function afterBody(rec: RecordedRequest, fn: () => void): void {
  rec.bodyDone.then(fn, fn);
}

/** Ready-made handlers. */
export const answers = {
  json(status: number, body: unknown, headers: Record<string, string> = {}): FakeHandler {
    return (_req, res, rec) =>
      afterBody(rec, () => {
        const text = body === undefined ? '' : JSON.stringify(body);
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
        res.end(text);
      });
  },

  /** Answers with the recorded request itself (method, url, headers, bodyBytes) as JSON. */
  echo(status = 200, headers: Record<string, string> = {}): FakeHandler {
    return (req, res, rec) =>
      afterBody(rec, () => {
        const text = JSON.stringify({ method: rec.method, url: rec.url, headers: req.headers, bodyBytes: rec.bodyBytes });
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(text);
      });
  },

  redirect(location: string, status = 302): FakeHandler {
    return (_req, res, rec) => afterBody(rec, () => res.writeHead(status, { location }).end());
  },

  /** `429` with `Retry-After` and the Convert API's envelope. */
  tooMany(retryAfterSeconds: number, code = 'rate_limited'): FakeHandler {
    return answers.json(429, { error: code, detail: 'slow down' }, { 'retry-after': String(retryAfterSeconds) });
  },

  /** `bytes` generated bytes (not held in memory) with backpressure; `headers` e.g. a Content-Disposition. */
  huge(bytes: number, headers: Record<string, string> = {}, chunkSize = 64 * 1024): FakeHandler {
    const chunk = Buffer.alloc(chunkSize, 0x61);
    return (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes, ...headers });
      let left = bytes;
      const pump = () => {
        while (left > 0) {
          const n = Math.min(left, chunk.length);
          left -= n;
          if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      res.on('close', () => (left = 0));
      pump();
    };
  },

  /** `chunks` chunks of `chunk` bytes, one every `intervalMs` (chunked, no length). */
  slow(chunks: number, intervalMs: number, chunk = 1024): FakeHandler {
    return (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      let sent = 0;
      const timer = setInterval(() => {
        if (sent++ >= chunks) {
          clearInterval(timer);
          res.end();
          return;
        }
        res.write(Buffer.alloc(chunk, 0x62));
      }, intervalMs);
      res.on('close', () => clearInterval(timer));
    };
  },

  /** Destroys the connection without an answer. */
  reset(): FakeHandler {
    return (req) => {
      req.socket.destroy();
    };
  },

  /** Reads the body and never answers (the connection stays open until the client gives up). */
  never(): FakeHandler {
    return () => {};
  },
};
