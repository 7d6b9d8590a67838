/**
 * A streamed multipart/form-data body for `POST /convert` (a file of any size is never held in memory,
 * and its Content-Length is known up front, as a browser would send it).
 */
import { createReadStream, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Readable } from 'node:stream';

export interface MultipartBody {
  body: Readable;
  headers: { 'content-type': string; 'content-length': string };
}

export function fileMultipart(filePath: string, fields: Record<string, string>, fileName = path.basename(filePath)): MultipartBody {
  const boundary = `----bench${randomBytes(12).toString('hex')}`;
  let head = '';
  for (const [name, value] of Object.entries(fields)) {
    head += `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  }
  head += `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  const tail = `\r\n--${boundary}--\r\n`;
  const size = statSync(filePath).size;
  const length = Buffer.byteLength(head) + size + Buffer.byteLength(tail);
  async function* parts() {
    yield Buffer.from(head);
    yield* createReadStream(filePath, { highWaterMark: 256 * 1024 });
    yield Buffer.from(tail);
  }
  return {
    body: Readable.from(parts(), { objectMode: false }),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(length) },
  };
}
