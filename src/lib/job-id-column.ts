import { textColumn, type TextColumn } from './columns.ts';

/**
 * The ids of a batch's jobs. Canonical ids are 32 lowercase hex digits, so they are packed two digits a byte:
 * 16 bytes a job instead of a 32-character string (a third of the compact snapshot of a 10,000-job batch). Ids
 * in any other form (not sent by this server, but cheap to allow) are kept as text.
 */
export interface JobIdColumn {
  get(row: number): string;
  /** Whether the row's id is exactly `id`. */
  is(row: number, id: string): boolean;
  /** `hashId` of the row's id, computed without building the string. */
  hash(row: number): number;
  /** The rows whose id contains `needle`. */
  rowsContaining(needle: string): Uint8Array;
}

const CANONICAL = /^[0-9a-f]{32}$/;
const HEX_DIGITS = /^[0-9a-f]+$/;
const DIGIT_CODES = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const ID_BYTES = 16;
const ID_CHARS = 32;

/** FNV-1a over the id's characters. */
export function hashId(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

class PackedHexIds implements JobIdColumn {
  private readonly codes = new Array<number>(ID_CHARS);
  constructor(
    private readonly bytes: Uint8Array,
    private readonly length: number,
  ) {}
  get(row: number): string {
    const codes = this.codes;
    for (let i = 0, at = row * ID_BYTES; i < ID_BYTES; i++, at++) {
      codes[2 * i] = DIGIT_CODES[this.bytes[at] >> 4];
      codes[2 * i + 1] = DIGIT_CODES[this.bytes[at] & 15];
    }
    return String.fromCharCode(...codes);
  }
  is(row: number, id: string): boolean {
    return id.length === ID_CHARS && this.get(row) === id;
  }
  hash(row: number): number {
    let hash = 0x811c9dc5;
    for (let at = row * ID_BYTES, end = at + ID_BYTES; at < end; at++) {
      hash = Math.imul(hash ^ DIGIT_CODES[this.bytes[at] >> 4], 0x01000193);
      hash = Math.imul(hash ^ DIGIT_CODES[this.bytes[at] & 15], 0x01000193);
    }
    return hash >>> 0;
  }
  rowsContaining(needle: string): Uint8Array {
    const hits = new Uint8Array(this.length);
    if (needle === '') return hits.fill(1);
    if (needle.length > ID_CHARS || !HEX_DIGITS.test(needle)) return hits;
    // The ids as one text only while searching: a few milliseconds per search, nothing kept.
    const parts = new Array<string>(this.length);
    for (let row = 0; row < this.length; row++) parts[row] = this.get(row);
    const text = parts.join('');
    for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 1)) {
      if ((at % ID_CHARS) + needle.length <= ID_CHARS) hits[Math.floor(at / ID_CHARS)] = 1;
    }
    return hits;
  }
}

class TextIds implements JobIdColumn {
  constructor(
    private readonly column: TextColumn | null,
    private readonly length: number,
  ) {}
  get(row: number): string {
    return this.column?.get(row) ?? '';
  }
  is(row: number, id: string): boolean {
    if (!this.column) return false;
    const { start, end } = this.column.span(row);
    return start >= 0 && end - start === id.length && this.column.text.startsWith(id, start);
  }
  hash(row: number): number {
    return hashId(this.get(row));
  }
  rowsContaining(needle: string): Uint8Array {
    return this.column ? this.column.rowsContaining(needle, this.length) : new Uint8Array(this.length);
  }
}

/** The value of a lowercase hex digit's character code. */
function nibble(code: number): number {
  return code <= 57 ? code - 48 : code - 87;
}

export function jobIdColumn(rowCount: number, read: (row: number) => string): JobIdColumn {
  const bytes = new Uint8Array(rowCount * ID_BYTES);
  for (let row = 0; row < rowCount; row++) {
    const id = read(row);
    if (!CANONICAL.test(id)) return new TextIds(textColumn(rowCount, read), rowCount);
    for (let i = 0; i < ID_BYTES; i++) bytes[row * ID_BYTES + i] = (nibble(id.charCodeAt(2 * i)) << 4) | nibble(id.charCodeAt(2 * i + 1));
  }
  return new PackedHexIds(bytes, rowCount);
}
