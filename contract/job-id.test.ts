import { describe, expect, it } from 'vitest';
import { extractJobIds, isValidJobId, normalizeJobId } from './job-id.ts';

const ID = '019c56457340753ba9441d7b4e6516a0';
const HYPHENATED = '019c5645-7340-753b-a944-1d7b4e6516a0';

describe('job ids', () => {
  it('accepts the compact and hyphenated forms in any case and normalizes to 32 lowercase hex', () => {
    expect(normalizeJobId(ID.toUpperCase())).toBe(ID);
    expect(normalizeJobId(HYPHENATED)).toBe(ID);
  });

  it.each(['..', '%2e%2e', `${ID}/..`, `${ID}%2f`, `${ID}\\`, `a@${ID}`, `${ID}\n`, `${ID}0`, ID.slice(1), 'g'.repeat(32)])(
    'refuses %j as unsafe for a URL path',
    (value) => {
      expect(isValidJobId(value)).toBe(false);
      expect(normalizeJobId(value)).toBeNull();
    },
  );

  it('extracts ids from log lines, CSV, JSON and URLs, dedupes, and reports id-like junk', () => {
    const text = [
      `2026-11-29T10:00:00Z submitted job ${ID} for photo.png`,
      `id,file\n${HYPHENATED},a.png`,
      JSON.stringify({ jobs: ['019c56457340753ba9441d7b4e6516a1'] }),
      'https://host/convert/job/019c56457340753ba9441d7b4e6516a2/download',
      '019c56457340753ba9441d7b4e6516a', // 31 chars
      '019c56457340753ba9441d7b4e6516zz',
    ].join('\n');
    const result = extractJobIds(text);
    expect(result.ids).toEqual([ID, '019c56457340753ba9441d7b4e6516a1', '019c56457340753ba9441d7b4e6516a2']);
    expect(result.duplicates).toBe(1);
    expect(result.rejected).toEqual([
      { token: '019c56457340753ba9441d7b4e6516a', reason: 'wrong_length' },
      { token: '019c56457340753ba9441d7b4e6516zz', reason: 'not_hex' },
    ]);
  });

  it('handles 10,000 ids in one paste', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => i.toString(16).padStart(32, '0'));
    const result = extractJobIds(ids.join(',\n'));
    expect(result.ids).toHaveLength(10_000);
    expect(result.rejected).toEqual([]);
  });
});
