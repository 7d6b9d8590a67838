import { useEffect, useRef } from 'react';
import { useLocation } from 'react-router-dom';

/** Where focus goes when it has nowhere better: the page's h1, else <main> (both focusable by script only). */
function focusPageStart(main: HTMLElement | null): void {
  const target = main?.querySelector<HTMLElement>('h1') ?? main;
  if (!target) return;
  if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
  target.focus({ preventScroll: target !== main?.querySelector('h1') });
}

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** The row that holds `rowIndex` now (or the last one before it), in a table that is still on the page. */
function rowTarget(table: Element, rowIndex: number): HTMLElement | null {
  const rows = Array.from(table.querySelectorAll<HTMLElement>('[role="row"][aria-rowindex], tbody > tr'));
  const indexOf = (row: HTMLElement) => Number(row.getAttribute('aria-rowindex') ?? (row as HTMLTableRowElement).rowIndex);
  // Header rows are never a target: only rows of data.
  const body = rows.filter((row) => !row.querySelector('[role="columnheader"], th[scope="col"]'));
  const same = body.find((row) => indexOf(row) >= rowIndex) ?? body.at(-1);
  return same?.querySelector<HTMLElement>(FOCUSABLE) ?? null;
}

interface Remembered {
  element: HTMLElement;
  table: Element | null;
  rowIndex: number;
}

/**
 * Keeps keyboard focus off <body>:
 * - a route change moves it to the new page's h1 (or <main> until the h1 renders), as a screen reader user
 *   expects of a new page;
 * - when the focused element disappears (a row leaves the filter, a deleted job's row changes its buttons, a
 *   confirmation closes over a row that went away), focus goes to the row now in its place, else the page's h1.
 * A click on the page's background (focus on <body> by the user's choice) is left alone: the last focused element
 * is still there then.
 */
export function useFocusKeeper(main: React.RefObject<HTMLElement | null>): void {
  const location = useLocation();
  const first = useRef(true);
  const pendingRoute = useRef(false);

  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    pendingRoute.current = true;
    focusPageStart(main.current);
  }, [location.pathname, main]);

  useEffect(() => {
    let last: Remembered | null = null;
    const onFocusIn = (event: FocusEvent) => {
      const element = event.target instanceof HTMLElement ? event.target : null;
      if (!element) return;
      if (element !== main.current && element.tagName !== 'H1') pendingRoute.current = false;
      const row = element.closest<HTMLElement>('[role="row"][aria-rowindex], tr');
      const table = row?.closest('[role="table"], table') ?? null;
      const rowIndex = row ? Number(row.getAttribute('aria-rowindex') ?? (row as HTMLTableRowElement).rowIndex) : -1;
      last = { element, table, rowIndex };
    };
    const check = () => {
      const active = document.activeElement;
      // A page whose h1 came after the route change (it was loading): the h1 takes focus from <main>.
      if (pendingRoute.current && active === main.current) {
        const h1 = main.current?.querySelector<HTMLElement>('h1');
        if (h1) focusPageStart(main.current);
        return;
      }
      if (active !== document.body && active !== null) return;
      if (!last) return;
      const { element, table, rowIndex } = last;
      const dialog = element.closest('dialog');
      const gone = !element.isConnected || (dialog !== null && !dialog.open);
      if (!gone || document.querySelector('dialog[open]')) return;
      last = null;
      const target = table?.isConnected && rowIndex >= 0 ? rowTarget(table, rowIndex) : null;
      if (target) target.focus();
      else focusPageStart(main.current);
    };
    document.addEventListener('focusin', onFocusIn);
    // Focus falls to <body> without any event when its element is removed or its dialog closes: look after
    // each change of the page (one cheap comparison unless focus was lost).
    const observer = new MutationObserver(check);
    observer.observe(document.body, { childList: true, subtree: true, attributes: true, attributeFilter: ['open', 'disabled'] });
    // After the focus change has finished (during it, <body> is briefly the active element).
    const onFocusOut = () => setTimeout(check, 0);
    document.addEventListener('focusout', onFocusOut);
    return () => {
      document.removeEventListener('focusin', onFocusIn);
      document.removeEventListener('focusout', onFocusOut);
      observer.disconnect();
    };
  }, [main]);
}
