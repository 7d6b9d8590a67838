import { describe, expect, it } from 'vitest';
import { numberColumn, stringColumn, textColumn, timeColumn } from './columns.ts';

const read = <T,>(values: T[]) => (row: number) => values[row];
const all = <T,>(column: { get(row: number): T | null }, n: number) => Array.from({ length: n }, (_, row) => column.get(row));

describe('compact columns', () => {
  it('give back strings and nulls, interned or concatenated', () => {
    const values = ['Queued', null, 'Running', 'Queued', '', null, 'Ünïcode ✓'];
    expect(all(stringColumn(values.length, read(values), { interned: true }), values.length)).toEqual(values);
    expect(all(stringColumn(values.length, read(values)), values.length)).toEqual(values);
  });

  it('cost nothing per row when every value is null', () => {
    expect(all(stringColumn(3, () => null), 3)).toEqual([null, null, null]);
    expect(textColumn(3, () => null)).toBeNull();
    expect(all(numberColumn(3, () => null), 3)).toEqual([null, null, null]);
  });

  it('give back integers of any range and fractions exactly', () => {
    const cases: (number | null)[][] = [
      [0, 100, null, 37],
      [-5, 70_000, null],
      [1_700_000_000_000, 1_700_000_000_000 + 2 ** 31, null],
      [0, 2 ** 40, null, -(2 ** 40)],
      [0.5, 37.25, null, 1e-9],
      [Number.MAX_SAFE_INTEGER, 0],
    ];
    for (const values of cases) expect(all(numberColumn(values.length, read(values)), values.length)).toEqual(values);
  });

  it('store times as milliseconds and drop ones that do not parse', () => {
    const values = ['2026-11-29T10:00:00.000Z', null, 'not a time', undefined];
    expect(all(timeColumn(values.length, read(values)), values.length)).toEqual([Date.parse(values[0]!), null, null, null]);
  });

  it('search a concatenated column by one scan, never across two values', () => {
    const column = textColumn(4, read(['abc', null, 'cab', 'bca']))!;
    expect(Array.from(column.rowsContaining('ab', 4))).toEqual([1, 0, 1, 0]);
    expect(Array.from(column.rowsContaining('cc', 4))).toEqual([0, 0, 0, 0]);
    expect(Array.from(column.rowsContaining('', 4))).toEqual([1, 0, 1, 1]);
  });
});
