import { describe, expect, it } from 'vitest';
import type { BatchJob, ReceiptFilter, ViewState } from './dashboard-api.ts';
import { isFiltered, jobFilterParams, matchesJobFilter, parseJobFilterQuery, parseSearch } from './job-filter.ts';

const job = (over: Partial<BatchJob>): Pick<BatchJob, 'id' | 'fileName' | 'state' | 'expiry' | 'outputExpired' | 'downloadedAt' | 'kept'> => ({
  id: '0123456789abcdef0123456789abcdef',
  fileName: 'Report.PDF',
  state: 'Succeeded',
  expiry: { earliest: '2026-11-29T11:00:00.000Z', latest: '2026-11-29T11:00:00.000Z' },
  outputExpired: false,
  downloadedAt: null,
  kept: null,
  ...over,
});
const BEFORE = Date.parse('2026-11-29T10:00:00Z');
const AFTER = Date.parse('2026-11-29T11:00:01Z');
const filter = (status: ViewState | null, query = '', receipt: ReceiptFilter | null = null) => ({ status, query, receipt });

describe('the one job filter', () => {
  it('reads a succeeded job as Expired once its countdown ended, for the chip and the export alike', () => {
    expect(matchesJobFilter(job({}), filter('Succeeded'), BEFORE)).toBe(true);
    expect(matchesJobFilter(job({}), filter('Expired'), BEFORE)).toBe(false);
    expect(matchesJobFilter(job({}), filter('Succeeded'), AFTER)).toBe(false);
    expect(matchesJobFilter(job({}), filter('Expired'), AFTER)).toBe(true);
    expect(matchesJobFilter(job({}), filter(null, '', 'lost'), AFTER)).toBe(true);
  });

  it('searches ids without dashes and file names in any case, and a search of only dashes matches names only', () => {
    expect(matchesJobFilter(job({}), filter(null, ' 01234567-89AB '), BEFORE)).toBe(true);
    expect(matchesJobFilter(job({}), filter(null, 'report.pdf'), BEFORE)).toBe(true);
    expect(matchesJobFilter(job({}), filter(null, '---'), BEFORE)).toBe(false);
    expect(matchesJobFilter(job({ fileName: 'a---b.png' }), filter(null, '---'), BEFORE)).toBe(true);
    expect(parseSearch('   ')).toBeNull();
  });

  it('reads the filter from a query string as the page writes it, and refuses values it could not have written', () => {
    const parsed = parseJobFilterQuery({ status: 'Expired', receipt: 'kept', q: 'x' });
    expect(parsed).toEqual({ status: 'Expired', receipt: 'kept', query: 'x', stalledOnly: false });
    expect(jobFilterParams(parsed as ReturnType<typeof filter>).toString()).toBe('status=Expired&receipt=kept&q=x');
    expect(parseJobFilterQuery({ status: '', q: '  ' })).toEqual({ status: null, receipt: null, query: '  ', stalledOnly: false });
    // The Stalled? chip: written as stalled=1, read back, and a filter of its own.
    const stalled = parseJobFilterQuery({ stalled: '1' });
    expect(stalled).toMatchObject({ stalledOnly: true });
    expect(jobFilterParams(stalled as ReturnType<typeof filter>).toString()).toBe('stalled=1');
    expect(isFiltered(stalled as ReturnType<typeof filter>)).toBe(true);
    expect(parseJobFilterQuery({ stalled: 'yes' })).toEqual({ error: expect.stringMatching(/^stalled must be 1/) });
    expect(isFiltered({ status: null, receipt: null, query: '  ' })).toBe(false);
    expect(parseJobFilterQuery({ status: 'Done' })).toEqual({ error: expect.stringMatching(/^status must be one of/) });
    expect(parseJobFilterQuery({ receipt: 'soon' })).toEqual({ error: expect.stringMatching(/^receipt must be one of/) });
  });
});
