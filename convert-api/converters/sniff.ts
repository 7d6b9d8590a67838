import { open } from 'node:fs/promises';
import { ConversionError } from './types.ts';

/** Reads the first `length` bytes of a file (fewer if the file is shorter). */
export async function readHead(filePath: string, length = 4096): Promise<Buffer> {
  const handle = await open(filePath, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

export function startsWith(head: Buffer, bytes: number[] | string, offset = 0): boolean {
  const expected = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes);
  return head.length >= offset + expected.length && head.subarray(offset, offset + expected.length).equals(expected);
}

/** The standard failure for content that is not what its extension says. */
export function invalidInput(detail: string): ConversionError {
  return new ConversionError('convert.invalid_input', detail);
}

/** Upper-case display name of a format for sentences (`tar.gz` → `TAR.GZ`). */
export function label(format: string): string {
  return format.toUpperCase();
}
