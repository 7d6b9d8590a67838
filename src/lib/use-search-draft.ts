import { useEffect, useRef, useState } from 'react';

export const SEARCH_WRITE_DELAY_MS = 300;
/** Own writes remembered: the address may arrive at one of them after more keys were typed. */
const OWN_WRITES_KEPT = 8;

interface Draft {
  /** What the box shows: every key, at once. */
  value: string;
  /** The value this hook last wrote to the address. */
  written: string;
}

/**
 * A search box whose text lives in its own state and reaches the address (`?q=`) a moment after typing stops.
 * Bound to the address directly, every key went through a navigation: on a busy machine the box was re-rendered
 * from an address a key behind, and the key was lost. The address still wins when it changes by navigation
 * (back, forward, a link), not by this hook's own write.
 *
 * The address is compared once committed (an effect), never while rendering: the router's location is a
 * transition, so a key's urgent render may still see the address before it while a transition render already
 * saw the new one. Compared while rendering, that older address read as a navigation and wiped what was typed
 * (e2e 16-keyboard-only, CPU slowed 6x).
 */
export function useSearchDraft(urlValue: string, write: (value: string) => void, delayMs = SEARCH_WRITE_DELAY_MS): [string, (value: string) => void] {
  const [draft, setDraft] = useState<Draft>({ value: urlValue, written: urlValue });
  const seen = useRef(urlValue);
  const ownWrites = useRef<string[]>([]);
  useEffect(() => {
    if (urlValue === seen.current) return;
    seen.current = urlValue;
    // Its own write arriving keeps what was typed since; any other change of the address wins.
    if (ownWrites.current.includes(urlValue)) return;
    ownWrites.current = [];
    setDraft({ value: urlValue, written: urlValue });
  }, [urlValue]);
  const { value, written } = draft;
  useEffect(() => {
    if (value === written) return;
    const timer = setTimeout(() => {
      ownWrites.current = [...ownWrites.current.slice(1 - OWN_WRITES_KEPT), value];
      setDraft((d) => ({ ...d, written: value }));
      write(value);
    }, delayMs);
    return () => clearTimeout(timer);
  }, [value, written, write, delayMs]);
  return [value, (next: string) => setDraft((d) => ({ ...d, value: next }))];
}
