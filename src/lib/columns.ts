/**
 * Compact, immutable columns of nullable values, for tables of thousands of rows kept in memory (a 10,000-job
 * batch). A parsed JSON row costs hundreds of bytes (an object per nesting level, a string per value); a column
 * costs a few bytes per row:
 * - strings with few distinct values (states, formats, error codes) are interned: one byte or two per row;
 * - other strings are concatenated into one string with an offset per row (no string object per row);
 * - integers (timestamps in ms, sizes, percents) are stored as the smallest typed array that holds the column's
 *   range above its minimum; anything else as float64;
 * - a column that is null in every row costs nothing.
 * Each builder reads its values once, through a getter, so no intermediate copy of the rows is kept.
 */

export interface Column<T> {
  get(row: number): T | null;
}

const ALL_NULL: Column<never> = { get: () => null };

// ---------------------------------------------------------------- strings

/** Interned: `codes[row]` is 0 for null, else 1 + the index into `values`. */
class DictColumn implements Column<string> {
  constructor(
    private readonly values: readonly string[],
    private readonly codes: Uint8Array | Uint16Array,
  ) {}
  get(row: number): string | null {
    const code = this.codes[row];
    return code === 0 ? null : this.values[code - 1];
  }
}

/**
 * Concatenated: row `r` is `text.slice(start, end)` with `start` the previous row's end. A null row stores its
 * end bitwise-negated (always negative), so nulls cost no extra array.
 */
class TextColumn implements Column<string> {
  constructor(
    readonly text: string,
    private readonly ends: Int32Array,
  ) {}
  /** Where the row's characters are in `text`; `start` is -1 for a null row. */
  span(row: number): { start: number; end: number } {
    const raw = this.ends[row];
    const end = raw < 0 ? ~raw : raw;
    if (raw < 0) return { start: -1, end };
    return { start: this.start(row), end };
  }
  private start(row: number): number {
    if (row === 0) return 0;
    const prev = this.ends[row - 1];
    return prev < 0 ? ~prev : prev;
  }
  get(row: number): string | null {
    const raw = this.ends[row];
    return raw < 0 ? null : this.text.slice(this.start(row), raw);
  }
  /** The rows whose value contains `needle` (one scan of the whole text, not one per row). */
  rowsContaining(needle: string, rowCount: number): Uint8Array {
    const hits = new Uint8Array(rowCount);
    if (needle === '') {
      for (let r = 0; r < rowCount; r++) hits[r] = this.ends[r] < 0 ? 0 : 1;
      return hits;
    }
    let row = 0;
    for (let at = this.text.indexOf(needle); at !== -1; at = this.text.indexOf(needle, at + 1)) {
      // Rows are in text order, so the row of each hit is found by walking forward.
      while (row < rowCount && endOf(this.ends[row]) <= at) row++;
      if (row === rowCount) break;
      if (this.ends[row] >= 0 && at + needle.length <= this.ends[row]) hits[row] = 1;
    }
    return hits;
  }
}

function endOf(raw: number): number {
  return raw < 0 ? ~raw : raw;
}

/** Columns with at most this many distinct values are interned. */
const MAX_DICT = 65_535;

/**
 * `interned: true` for columns expected to repeat (states, formats, codes, messages): interned unless they have
 * more distinct values than a dictionary can index. Otherwise (names, ids) concatenated.
 */
export function stringColumn(rowCount: number, read: (row: number) => string | null, { interned = false } = {}): Column<string> {
  if (interned) {
    const index = new Map<string, number>();
    const values: string[] = [];
    const codes = new Uint16Array(rowCount);
    let fits = true;
    // Neighbouring rows often repeat a value: comparing with the last one is cheaper than a map lookup.
    let lastValue: string | null = null;
    let lastCode = 0;
    for (let r = 0; r < rowCount; r++) {
      const value = read(r);
      if (value === null) continue;
      if (value === lastValue) {
        codes[r] = lastCode;
        continue;
      }
      let code = index.get(value);
      if (code === undefined) {
        if (values.length === MAX_DICT) {
          fits = false;
          break;
        }
        values.push(value);
        code = values.length;
        index.set(value, code);
      }
      codes[r] = code;
      lastValue = value;
      lastCode = code;
    }
    if (fits) {
      if (values.length === 0) return ALL_NULL;
      return new DictColumn(values, values.length < 256 ? Uint8Array.from(codes) : codes);
    }
  }
  return textColumn(rowCount, read) ?? ALL_NULL;
}

/** Concatenated always (also when empty), for callers that search the text. Null when every row is null. */
export function textColumn(rowCount: number, read: (row: number) => string | null): TextColumn | null {
  const parts: string[] = [];
  const ends = new Int32Array(rowCount);
  let length = 0;
  let anyValue = false;
  for (let r = 0; r < rowCount; r++) {
    const value = read(r);
    if (value === null) {
      ends[r] = ~length;
      continue;
    }
    anyValue = true;
    parts.push(value);
    length += value.length;
    ends[r] = length;
  }
  return anyValue ? new TextColumn(parts.join(''), ends) : null;
}

export type { TextColumn };

// ---------------------------------------------------------------- numbers

/** Integers stored as `value - base`; the array type's largest value marks null. */
class OffsetIntColumn implements Column<number> {
  private readonly nullCode: number;
  constructor(
    private readonly base: number,
    private readonly offsets: Uint8Array | Uint16Array | Uint32Array,
  ) {
    this.nullCode = 2 ** (offsets.BYTES_PER_ELEMENT * 8) - 1;
  }
  get(row: number): number | null {
    const offset = this.offsets[row];
    return offset === this.nullCode ? null : this.base + offset;
  }
}

/** Any number; NaN marks null (JSON has no NaN). */
class FloatColumn implements Column<number> {
  constructor(private readonly values: Float64Array) {}
  get(row: number): number | null {
    const value = this.values[row];
    return Number.isNaN(value) ? null : value;
  }
}

export function numberColumn(rowCount: number, read: (row: number) => number | null): Column<number> {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let integers = true;
  let anyValue = false;
  const values = new Float64Array(rowCount);
  for (let r = 0; r < rowCount; r++) {
    const value = read(r);
    if (value === null || Number.isNaN(value)) {
      values[r] = Number.NaN;
      continue;
    }
    anyValue = true;
    values[r] = value;
    if (value < min) min = value;
    if (value > max) max = value;
    if (!Number.isSafeInteger(value) || Object.is(value, -0)) integers = false;
  }
  if (!anyValue) return ALL_NULL;
  const range = max - min;
  if (!integers || !Number.isSafeInteger(range) || range >= 0xffff_ffff) return new FloatColumn(values);
  const offsets = range < 0xff ? new Uint8Array(rowCount) : range < 0xffff ? new Uint16Array(rowCount) : new Uint32Array(rowCount);
  const nullCode = 2 ** (offsets.BYTES_PER_ELEMENT * 8) - 1;
  for (let r = 0; r < rowCount; r++) {
    const value = values[r];
    offsets[r] = Number.isNaN(value) ? nullCode : value - min;
  }
  return new OffsetIntColumn(min, offsets);
}

/**
 * ISO-8601 times as epoch milliseconds. A time that does not parse is stored as null: the server only sends
 * `Date#toISOString()` output, and every reader treats an unparseable time like a missing one.
 */
export function timeColumn(rowCount: number, read: (row: number) => string | null | undefined): Column<number> {
  // Times added or checked together repeat: the parse of the previous row is reused.
  let lastIso = '';
  let lastMs = Number.NaN;
  return numberColumn(rowCount, (row) => {
    const iso = read(row);
    if (iso == null) return null;
    if (iso !== lastIso) {
      lastIso = iso;
      lastMs = Date.parse(iso);
    }
    return Number.isNaN(lastMs) ? null : lastMs;
  });
}

export function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
