import { useCallback, useRef, type FocusEvent, type KeyboardEvent } from 'react';

const ITEMS = 'button:not(:disabled), a[href], input:not(:disabled):not([type="hidden"]), select:not(:disabled)';

/**
 * The WAI-ARIA toolbar pattern for a `role="toolbar"` element: the whole toolbar is one Tab stop, the arrow keys
 * (and Home, End) move between its controls, and Tab comes back to the control last used. Its controls come and
 * go with the counts (a filter chip per present state), so the one Tab stop is kept by watching the DOM.
 * Text boxes and selects need the arrow keys themselves and belong outside the toolbar.
 */
export function useRovingToolbar<T extends HTMLElement>() {
  const root = useRef<T | null>(null);
  const current = useRef<HTMLElement | null>(null);

  const items = useCallback(() => {
    if (!root.current) return [];
    // Hidden ones (a `hidden` ancestor, display: none at this width) are not stops.
    return Array.from(root.current.querySelectorAll<HTMLElement>(ITEMS)).filter((el) => el.getClientRects().length > 0);
  }, []);

  const sync = useCallback(() => {
    const all = items();
    const active = current.current && all.includes(current.current) ? current.current : all[0];
    for (const el of all) {
      const tabIndex = el === active ? '0' : '-1';
      if (el.getAttribute('tabindex') !== tabIndex) el.setAttribute('tabindex', tabIndex);
    }
  }, [items]);

  // A callback ref: the toolbar may appear after the page's first render (once its data has loaded).
  const ref = useCallback(
    (el: T | null) => {
      root.current = el;
      if (!el) return;
      sync();
      const observer = new MutationObserver(sync);
      observer.observe(el, { childList: true, subtree: true, attributes: true, attributeFilter: ['disabled', 'hidden', 'class'] });
      return () => {
        observer.disconnect();
        root.current = null;
      };
    },
    [sync],
  );

  const onFocus = useCallback(
    (event: FocusEvent<T>) => {
      const target = event.target as HTMLElement;
      if (items().includes(target)) {
        current.current = target;
        sync();
      }
    },
    [items, sync],
  );

  const onKeyDown = useCallback(
    (event: KeyboardEvent<T>) => {
      const all = items();
      const at = all.indexOf(event.target as HTMLElement);
      if (at < 0 || all.length === 0) return;
      let next: number;
      if (event.key === 'ArrowRight') next = (at + 1) % all.length;
      else if (event.key === 'ArrowLeft') next = (at - 1 + all.length) % all.length;
      else if (event.key === 'Home') next = 0;
      else if (event.key === 'End') next = all.length - 1;
      else return;
      event.preventDefault();
      all[next].focus();
    },
    [items],
  );

  return { ref, onFocus, onKeyDown };
}
