/**
 * What the page says to screen readers, politely and throttled: job events are counted, not listed, and the
 * counts and messages gathered meanwhile go out together at most once per `intervalMs` ("3 jobs finished,
 * 1 failed. The batch is complete."). A batch of 10,000 jobs finishing at once is one sentence, not 10,000.
 */
export type CountedEvent = 'finished' | 'failed' | 'canceled';

const COUNTED_ORDER: readonly CountedEvent[] = ['finished', 'failed', 'canceled'];

export const ANNOUNCE_INTERVAL_MS = 5_000;

export interface Announcer {
  /** `n` more jobs of one kind since the last announcement. */
  count(this: void, event: CountedEvent, n: number): void;
  /** A sentence of its own (the batch complete, the connection lost, an upload's result); repeated ones merge. */
  say(this: void, message: string): void;
  /** The latest announcement, for the live region. */
  current(this: void): string;
  subscribe(this: void, listener: () => void): () => void;
  dispose(this: void): void;
}

export function summarizeCounts(counts: Readonly<Record<CountedEvent, number>>): string {
  const parts = COUNTED_ORDER.filter((event) => counts[event] > 0).map((event, i) =>
    // "3 jobs finished, 1 failed": the noun once, on the first part.
    i === 0 ? `${counts[event].toLocaleString()} ${counts[event] === 1 ? 'job' : 'jobs'} ${event}` : `${counts[event].toLocaleString()} ${event}`,
  );
  return parts.length > 0 ? `${parts.join(', ')}.` : '';
}

export function createAnnouncer(intervalMs = ANNOUNCE_INTERVAL_MS): Announcer {
  const counts: Record<CountedEvent, number> = { finished: 0, failed: 0, canceled: 0 };
  const messages: string[] = [];
  const listeners = new Set<() => void>();
  let text = '';
  let lastAt = -Infinity;
  let timer: ReturnType<typeof setTimeout> | null = null;
  // The same text twice does not change the live region's content, so it would not be read again: a
  // non-breaking space alternates at the end.
  let toggle = false;

  function flush() {
    timer = null;
    const sentence = [summarizeCounts(counts), ...messages].filter(Boolean).join(' ');
    for (const event of COUNTED_ORDER) counts[event] = 0;
    messages.length = 0;
    if (!sentence) return;
    lastAt = Date.now();
    toggle = !toggle;
    text = toggle ? sentence : `${sentence}\u00a0`;
    for (const listener of listeners) listener();
  }

  function schedule() {
    if (timer !== null) return;
    const wait = Math.max(0, lastAt + intervalMs - Date.now());
    // Even the first one waits a moment, so events of one update arrive as one sentence.
    timer = setTimeout(flush, Math.max(wait, 250));
  }

  return {
    count(event, n) {
      if (n <= 0) return;
      counts[event] += n;
      schedule();
    },
    say(message) {
      if (!messages.includes(message)) messages.push(message);
      schedule();
    },
    current: () => text,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    dispose() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      listeners.clear();
    },
  };
}

/** The app's one announcer (its live region is in the layout). */
export const announcer = createAnnouncer();
