/**
 * A bare HTTP client for tests: sends the path byte for byte (no URL normalisation, so `..` and `%2f`
 * tricks arrive as written) and exactly the headers given (plus Host unless given).
 */
import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  text: string;
  json<T = unknown>(): T;
}

export interface RawRequestOptions {
  method?: string;
  headers?: OutgoingHttpHeaders;
  body?: string | Buffer | Readable;
}

export function rawRequest(base: string, path: string, options: RawRequestOptions = {}): Promise<RawResponse> {
  const url = new URL(base);
  const fixed = typeof options.body === 'string' || Buffer.isBuffer(options.body);
  const lengthHeader =
    fixed && !Object.keys(options.headers ?? {}).some((name) => /^(content-length|transfer-encoding)$/i.test(name))
      ? { 'content-length': Buffer.byteLength(options.body as string | Buffer) }
      : {};
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: options.method ?? 'GET',
        path,
        headers: { host: url.host, ...lengthHeader, ...options.headers },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            text,
            json: <T,>() => JSON.parse(text) as T,
          });
        });
      },
    );
    req.on('error', reject);
    const body = options.body;
    if (body === undefined) req.end();
    else if (typeof body === 'string' || Buffer.isBuffer(body)) req.end(body);
    else body.pipe(req);
  });
}
