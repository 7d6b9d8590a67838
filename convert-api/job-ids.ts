import { randomBytes } from 'node:crypto';

/** A GUIDv7 (RFC 9562) as 32 lowercase hex: 48-bit Unix milliseconds, version 7, variant 10, random rest. */
export function newJobId(nowMs: number): string {
  const bytes = randomBytes(16);
  const ms = BigInt(Math.floor(nowMs));
  for (let i = 0; i < 6; i++) bytes[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  bytes[6] = (bytes[6] & 0x0f) | 0x70;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  return bytes.toString('hex');
}
