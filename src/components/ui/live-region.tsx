import { useSyncExternalStore } from 'react';
import { announcer } from '../../lib/announcer.ts';

/** The page's one polite live region: what `announcer` says (throttled there), read when the reader is idle. */
export function LiveRegion() {
  const text = useSyncExternalStore(announcer.subscribe, announcer.current, announcer.current);
  return (
    <div role="status" aria-live="polite" aria-atomic="true" aria-label="Announcements" className="sr-only" data-testid="announcements">
      {text}
    </div>
  );
}
