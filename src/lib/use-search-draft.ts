import { useEffect, useState } from 'react';

export const SEARCH_WRITE_DELAY_MS = 300;

interface Draft {
  /** What the box shows: every key, at once. */
  value: string;
  /** The address's value last seen. */
  url: string;
  /** The value this hook last wrote to the address. */
  written: string;
}

/**
 * A search box whose text lives in its own state and reaches the address (`?q=`) a moment after typing stops.
 * Bound to the address directly, every key went through a navigation: on a busy machine the box was re-rendered
 * from an address a key behind, and the key was lost. The address still wins when it changes by navigation
 * (back, forward, a link), not by this hook's own write.
 */
function adjustToAddress(draft: Draft, urlValue: string): Draft {
  if (urlValue === draft.url) return draft;
  // Its own write arriving keeps what was typed since; any other change of the address wins.
  return urlValue === draft.written ? { ...draft, url: urlValue } : { value: urlValue, url: urlValue, written: urlValue };
}

export function useSearchDraft(urlValue: string, write: (value: string) => void, delayMs = SEARCH_WRITE_DELAY_MS): [string, (value: string) => void] {
  const [draft, setDraft] = useState<Draft>({ value: urlValue, url: urlValue, written: urlValue });
  let current = draft;
  if (urlValue !== draft.url) {
    // Adjusted while rendering (React's pattern for state derived from a changed prop), so no frame shows the old text.
    current = adjustToAddress(draft, urlValue);
    // As an update of the latest state, not a replacement by this render's: a key typed while a render that saw
    // the new address was under way is applied first and kept (a replacement dropped it, on a slow machine).
    setDraft((latest) => adjustToAddress(latest, urlValue));
  }
  const { value, written } = current;
  useEffect(() => {
    if (value === written) return;
    const timer = setTimeout(() => {
      setDraft((d) => ({ ...d, written: value }));
      write(value);
    }, delayMs);
    return () => clearTimeout(timer);
  }, [value, written, write, delayMs]);
  return [value, (next: string) => setDraft((d) => ({ ...d, value: next }))];
}
