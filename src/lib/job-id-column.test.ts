import { describe, expect, it } from 'vitest';
import { hashId, jobIdColumn } from './job-id-column.ts';

const CANONICAL = ['019c56457340753ba9441d7b4e6516a0', 'ffffffffffffffffffffffffffffffff', '00000000000000000000000000000000'];
const OTHER = ['019c56457340753ba9441d7b4e6516a0', 'NOT-AN-ID', ''];
const column = (ids: string[]) => jobIdColumn(ids.length, (row) => ids[row]);

describe('job id column', () => {
  for (const [kind, ids] of [['canonical (packed)', CANONICAL], ['other (text)', OTHER]] as const) {
    it(`gives back ${kind} ids exactly, with the hash of the id and exact matches only`, () => {
      const c = column([...ids]);
      ids.forEach((id, row) => {
        expect(c.get(row)).toBe(id);
        expect(c.hash(row)).toBe(hashId(id));
        expect(c.is(row, id)).toBe(true);
        expect(c.is(row, `${id}0`)).toBe(false);
      });
    });
  }

  it('finds packed ids containing a text, never across two ids, and nothing for non-hex text', () => {
    const c = column(CANONICAL);
    expect(Array.from(c.rowsContaining('6516a0'))).toEqual([1, 0, 0]);
    expect(Array.from(c.rowsContaining('ff'))).toEqual([0, 1, 0]);
    // "a0ff" exists only across the end of the first id and the start of the second.
    expect(Array.from(c.rowsContaining('a0ff'))).toEqual([0, 0, 0]);
    expect(Array.from(c.rowsContaining('xyz'))).toEqual([0, 0, 0]);
    expect(Array.from(c.rowsContaining(''))).toEqual([1, 1, 1]);
  });
});
