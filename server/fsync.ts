import { open } from 'node:fs/promises';

/**
 * Flushes a file, or a directory's entries, to disk. A file written and renamed into place is durable only once
 * both its bytes and the directory entry that names it are synced: the spool and the keeper do both.
 */
export async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
