/**
 * The one filter of a batch's jobs, as the batch page's URL says it (`status`, `receipt`, `q`): the page's rows
 * and chips, the export (server/history) and the outputs ZIP (server/outputs) all select jobs with it, so
 * "Export filtered" and "Download these" give exactly the rows the page shows.
 */
import { RECEIPT_FILTERS, VIEW_STATES, type BatchJob, type ReceiptFilter, type ViewState } from './dashboard-api.ts';
import { matchesReceipt, viewState, type OutputFacts } from './outputs.ts';

export interface JobFilter {
  /** A row's state as shown: `Expired` apart from `Succeeded` (contract/outputs.ts `viewState`). */
  status: ViewState | null;
  receipt: ReceiptFilter | null;
  /** The search box as typed. */
  query: string;
  /** Only the jobs the server judges *Stalled?* (its insight's `stalled` list; the export applies it there). */
  stalledOnly?: boolean;
}

/**
 * A search, normalised: the file name contains `text` (any case), or the id contains `idNeedle` (the text
 * without dashes, so either id form matches). Null: no search.
 */
export interface JobSearch {
  text: string;
  idNeedle: string;
}

export function parseSearch(query: string): JobSearch | null {
  const text = query.trim().toLowerCase();
  return text ? { text, idNeedle: text.replaceAll('-', '') } : null;
}

export function matchesSearch(job: Pick<BatchJob, 'id' | 'fileName'>, search: JobSearch | null): boolean {
  if (!search) return true;
  return (search.idNeedle !== '' && job.id.includes(search.idNeedle)) || (job.fileName?.toLowerCase().includes(search.text) ?? false);
}

export type FilterableJob = OutputFacts & Pick<BatchJob, 'id' | 'fileName'>;

export function matchesJobFilter(job: FilterableJob, filter: JobFilter, serverNow: number): boolean {
  if (filter.status && viewState(job, serverNow) !== filter.status) return false;
  if (filter.receipt && !matchesReceipt(job, filter.receipt, serverNow)) return false;
  return matchesSearch(job, parseSearch(filter.query));
}

export function isFiltered(filter: JobFilter): boolean {
  return filter.status !== null || filter.receipt !== null || parseSearch(filter.query) !== null || filter.stalledOnly === true;
}

/**
 * The filter of a request's query string (`?status=&receipt=&q=`), as the page writes it; an empty value is no
 * filter. A value the page could not have written is an error sentence for a 400.
 */
export function parseJobFilterQuery(query: { status?: unknown; receipt?: unknown; q?: unknown; stalled?: unknown }): JobFilter | { error: string } {
  const { status, receipt, q, stalled } = query;
  if (stalled !== undefined && stalled !== '' && stalled !== '1') return { error: `stalled must be 1 (got ${shown(stalled)}).` };
  if (status !== undefined && status !== '' && !(VIEW_STATES as readonly unknown[]).includes(status)) {
    return { error: `status must be one of ${VIEW_STATES.join(', ')} (got ${shown(status)}).` };
  }
  if (receipt !== undefined && receipt !== '' && !(RECEIPT_FILTERS as readonly unknown[]).includes(receipt)) {
    return { error: `receipt must be one of ${RECEIPT_FILTERS.join(', ')} (got ${shown(receipt)}).` };
  }
  return {
    status: status ? (status as ViewState) : null,
    receipt: receipt ? (receipt as ReceiptFilter) : null,
    query: typeof q === 'string' ? q : '',
    stalledOnly: stalled === '1',
  };
}

/** A refused value as the error sentence quotes it (a repeated parameter arrives as an array). */
function shown(value: unknown): string {
  return JSON.stringify(value).slice(0, 60);
}

/** The same filter as a query string (`status=…&receipt=…&q=…`, empty parts left out). */
export function jobFilterParams(filter: JobFilter): URLSearchParams {
  const params = new URLSearchParams();
  if (filter.status) params.set('status', filter.status);
  if (filter.receipt) params.set('receipt', filter.receipt);
  const q = filter.query.trim();
  if (q) params.set('q', q);
  if (filter.stalledOnly) params.set('stalled', '1');
  return params;
}
