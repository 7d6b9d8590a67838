/**
 * The spool: uploaded files kept under DATA_DIR/spool until their job succeeded (plus SOURCE_RETENTION_HOURS),
 * so that the server can send them, send them again after a failure, and survive a crash.
 *
 * A file is written to `<name>.part`, fsynced, renamed to `<name>` and the folder fsynced: after that it is on
 * disk for good, and only then is it recorded (queue.ts). A `.part` file, or a file no submission names, is
 * what a crash or an abort left behind; `sweep` deletes them at start.
 */
import { createWriteStream } from 'node:fs';
import { mkdirSync } from 'node:fs';
import { readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fsyncPath } from '../fsync.ts';

export class SpoolFullError extends Error {
  constructor(
    readonly reason: 'limit' | 'disk',
    message: string,
  ) {
    super(message);
  }
}

export interface Spool {
  readonly dir: string;
  /**
   * Streams `body` into the spool as `name`, refusing (and removing the partial file) past `maxBytes` more
   * bytes. Resolves with the file's size once it is durable.
   */
  write(name: string, body: Readable, maxBytes: number): Promise<number>;
  remove(name: string): Promise<void>;
  path(name: string): string;
  /** Deletes the files `keep` refuses (partial files and files no submission names: left by a crash). */
  sweep(keep: (name: string) => boolean): Promise<number>;
}

export function openSpool(dataDir: string): Spool {
  const dir = join(dataDir, 'spool');
  mkdirSync(dir, { recursive: true });

  return {
    dir,
    path: (name) => join(dir, name),
    async write(name, body, maxBytes) {
      const part = join(dir, `${name}.part`);
      let bytes = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          bytes += chunk.length;
          if (bytes > maxBytes) callback(new SpoolFullError('limit', 'spool limit reached'));
          else callback(null, chunk);
        },
      });
      try {
        await pipeline(body, counter, createWriteStream(part, { flags: 'wx' }));
        await fsyncPath(part);
        await rename(part, join(dir, name));
        await fsyncPath(dir);
      } catch (error) {
        await rm(part, { force: true });
        if ((error as { code?: string }).code === 'ENOSPC') throw new SpoolFullError('disk', 'the disk is full');
        throw error;
      }
      return bytes;
    },
    async remove(name) {
      await rm(join(dir, name), { force: true });
    },
    async sweep(keep) {
      let removed = 0;
      for (const entry of await readdir(dir)) {
        if (keep(entry)) continue;
        await rm(join(dir, entry), { force: true });
        removed++;
      }
      return removed;
    },
  };
}
