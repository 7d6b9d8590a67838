import { useEffect, useRef, useState } from 'react';
import type { BatchInsight } from '../../../../contract/insight-api.ts';
import { Button } from '../../../components/ui/button.tsx';
import { batchEvents, type InsightMarks } from '../batch-events.ts';

const storageKey = (batchId: string) => `notify:${batchId}`;

function supported(): boolean {
  return typeof window !== 'undefined' && 'Notification' in window;
}

/**
 * Browser notifications for one batch, opt-in: finished, first failure, outputs expiring within 10 minutes
 * (neither downloaded nor kept). Only while this tab is open; the server's webhooks cover the rest.
 */
export function BatchNotificationsToggle({ batchId, batchName, insight }: { batchId: string; batchName: string; insight: BatchInsight }) {
  const [enabled, setEnabled] = useState(() => supported() && Notification.permission === 'granted' && localStorage.getItem(storageKey(batchId)) === '1');
  const [refused, setRefused] = useState(false);
  const previous = useRef<InsightMarks | null>(null);

  useEffect(() => {
    const before = previous.current;
    const { marks, events } = batchEvents(before, insight);
    previous.current = marks;
    if (!enabled || !supported() || Notification.permission !== 'granted') return;
    for (const event of events) new Notification(`${batchName}: ${event.title}`, { body: event.body, tag: `${batchId}:${event.kind}` });
  }, [insight, enabled, batchId, batchName]);

  if (!supported()) return null;
  return (
    <>
      <Button
        size="sm"
        variant={enabled ? 'secondary' : 'ghost'}
        aria-pressed={enabled}
        onClick={async () => {
          if (enabled) {
            localStorage.removeItem(storageKey(batchId));
            setEnabled(false);
            return;
          }
          const permission = Notification.permission === 'granted' ? 'granted' : await Notification.requestPermission();
          if (permission !== 'granted') {
            setRefused(true);
            return;
          }
          localStorage.setItem(storageKey(batchId), '1');
          setEnabled(true);
          setRefused(false);
        }}
      >
        {enabled ? 'Notifications on' : 'Notify me'}
      </Button>
      {refused && <span className="text-xs text-amber-700 dark:text-amber-400">The browser blocks notifications for this site; allow them in its site settings.</span>}
    </>
  );
}
