/** How a spec finds things in the batch page's job table, by role and accessible name only. */
import { randomBytes } from 'node:crypto';
import type { Locator, Page } from '@playwright/test';

export function jobTable(page: Page, batchName: string): Locator {
  return page.getByRole('table', { name: `Jobs of ${batchName}`, exact: true });
}

/** A row is named by its file and target ("photo.png → jpg"), or by the id when those are unknown. */
export function jobRow(page: Page, batchName: string, name: string): Locator {
  return jobTable(page, batchName).getByRole('row', { name, exact: true });
}

/** The status cell: the third column (after the selection checkbox and the file). */
export function statusCell(row: Locator): Locator {
  return row.getByRole('cell').nth(2);
}

export function progressOf(scope: Page | Locator, name: string): Locator {
  return scope.getByRole('progressbar', { name: `Progress of ${name}`, exact: true });
}

export async function valueNow(progressbar: Locator): Promise<number> {
  return Number(await progressbar.getAttribute('aria-valuenow'));
}

/** A well-formed job id nobody has created: 32 lowercase hex characters. */
export function fakeJobId(): string {
  return randomBytes(16).toString('hex');
}

/** The expiry countdown cell: the seventh column. */
export function expiresCell(row: Locator): Locator {
  return row.getByRole('cell').nth(6);
}
