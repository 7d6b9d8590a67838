/**
 * The tabs watching batches: one event stream each, fed from the store's revisions, and what each tab shows
 * (for the tracker's priorities).
 *
 * Changes are found by looking at the revisions of watched batches a few times a second, not by hooks in every
 * store write: a burst of 100 job changes costs one delta per batch, shared by every tab at the same revision,
 * and the store stays one module that knows nothing of tabs (the seam for a shared database's notifications).
 */
import { HEARTBEAT_MS } from '../../contract/live.ts';
import type { Clock } from '../tracker/clock.ts';
import { POLICY } from '../tracker/policy.ts';
import type { LiveFeed } from './feed.ts';

/**
 * How often watched batches are looked at: a change to a job some tab shows reaches the tabs within this (plus the
 * tracker's poll). A tab draws changes once a second on its own beat (src/lib/ticker.ts), so twice a second keeps
 * the worst case from the upstream to the screen near 2.5 s; once a second left some tabs near 3 s (bench:ui-live).
 */
export const TICK_MS = 500;
/**
 * Changes to jobs no tab shows (a progress deep in the list, the counts they move) go out at most this long after
 * the previous event, gathered into one: in a busy batch nearly every tick has some, and each event costs every tab
 * a parse and a render (a one-tab page spent a fifth of its CPU on events pushed every 250 ms). A change after a
 * quiet spell still goes at the next tick.
 */
export const CALM_MS = 2_000;
/** Meta (checked at, upstream health) at most this often between heartbeats, when it changed. */
export const META_MS = 5_000;
/**
 * Bytes a tab may have unread before it is skipped: it has fallen behind (a slow link, a frozen tab). It
 * gets the delta since its last revision once it has read them, or a fresh base if that is too far.
 */
export const MAX_BACKLOG_BYTES = 1024 * 1024;

export interface StreamSink {
  write(text: string): void;
  /** Bytes written but not yet taken by the client. */
  backlog(): number;
}

interface Subscriber {
  sink: StreamSink;
  /** The revision the tab has. */
  sent: number;
  lastMeta: string;
  lastMetaAt: number;
  lastBeatAt: number;
  lastPushAt: number;
}

export interface LiveHubDeps {
  feed: LiveFeed;
  clock: Clock;
  /** The batch has an open stream: it counts as viewed (the tracker's viewed cap). */
  markViewed(batchId: string): void;
  /** Jobs a tab started showing: the tracker polls them first. */
  show(jobIds: readonly string[]): void;
  shownWindowMs?: number;
}

export function createLiveHub(deps: LiveHubDeps) {
  const { feed, clock } = deps;
  const shownWindowMs = deps.shownWindowMs ?? POLICY.shownWindowMs;
  const watchers = new Map<string, Set<Subscriber>>();
  const views = new Map<string, { batchId: string; ids: Set<string>; at: number }>();
  const viewedMarks = new Map<string, number>();
  let timer: unknown = null;
  let closed = false;

  function arm(): void {
    if (timer !== null || closed || watchers.size === 0) return;
    timer = clock.setTimeout(() => {
      timer = null;
      tick();
      arm();
    }, TICK_MS);
  }

  /** Sends what changed since the tab's revision; with `shown`, changes to jobs no tab shows wait for CALM_MS. */
  function push(batchId: string, sub: Subscriber, shown?: () => Set<string>): void {
    const text = feed.delta(batchId, sub.sent);
    if (!text || text.to === sub.sent) return;
    const now = clock.now();
    if (shown && !text.reset && now - sub.lastPushAt < CALM_MS) {
      const ids = shown();
      if (!text.ids.some((id) => ids.has(id))) return;
    }
    sub.lastPushAt = now;
    if (text.reset) sub.sink.write(`event: reset\ndata: ${feed.deltaJson(batchId, text)}\n\n`);
    else sub.sink.write(`event: delta\nid: ${text.to}\ndata: ${feed.deltaJson(batchId, text)}\n\n`);
    sub.sent = text.to;
    sub.lastMetaAt = clock.now();
  }

  function tick(): void {
    const now = clock.now();
    for (const [batchId, subs] of watchers) {
      let metaText: string | null = null;
      let shown: Set<string> | null = null;
      const shownHere = () => (shown ??= shownIds(batchId));
      for (const sub of subs) {
        if (sub.sink.backlog() > MAX_BACKLOG_BYTES) continue;
        push(batchId, sub, shownHere);
        const beat = now - sub.lastBeatAt >= HEARTBEAT_MS;
        if (beat || now - sub.lastMetaAt >= META_MS) {
          const meta = feed.meta(batchId, sub.sent);
          metaText ??= JSON.stringify({ ...meta, serverTime: '' });
          if (beat || metaText !== sub.lastMeta) {
            sub.sink.write(`event: meta\ndata: ${JSON.stringify(meta)}\n\n`);
            sub.lastMeta = metaText;
            sub.lastMetaAt = now;
            if (beat) sub.lastBeatAt = now;
          }
        }
      }
      const marked = viewedMarks.get(batchId) ?? -Infinity;
      if (now - marked >= HEARTBEAT_MS) {
        viewedMarks.set(batchId, now);
        deps.markViewed(batchId);
      }
    }
  }

  function shownIds(batchId: string | null): Set<string> {
    const now = clock.now();
    const ids = new Set<string>();
    for (const [tab, view] of views) {
      if (now - view.at > shownWindowMs) views.delete(tab);
      else if (batchId === null || view.batchId === batchId) for (const id of view.ids) ids.add(id);
    }
    return ids;
  }

  return {
    /**
     * A tab opened the batch's stream, having revision `since`. It gets what changed since at once, then every
     * change as it happens. Returns the function that ends the subscription.
     */
    subscribe(batchId: string, since: number, sink: StreamSink): () => void {
      const now = clock.now();
      const sub: Subscriber = { sink, sent: since, lastMeta: '', lastMetaAt: -Infinity, lastBeatAt: now, lastPushAt: now };
      let subs = watchers.get(batchId);
      if (!subs) watchers.set(batchId, (subs = new Set()));
      subs.add(sub);
      deps.markViewed(batchId);
      push(batchId, sub);
      const meta = feed.meta(batchId, sub.sent);
      sink.write(`event: meta\ndata: ${JSON.stringify(meta)}\n\n`);
      sub.lastMeta = JSON.stringify({ ...meta, serverTime: '' });
      sub.lastMetaAt = now;
      arm();
      return () => {
        subs.delete(sub);
        if (subs.size === 0 && watchers.get(batchId) === subs) {
          watchers.delete(batchId);
          viewedMarks.delete(batchId);
        }
      };
    },
    /** What one tab shows now (its visible rows, or the job of its job page); replaces its earlier report. */
    view(batchId: string, tab: string, ids: readonly string[]): void {
      const before = views.get(tab);
      const fresh = ids.filter((id) => !(before?.batchId === batchId && before.ids.has(id)));
      views.set(tab, { batchId, ids: new Set(ids), at: clock.now() });
      if (views.size > 10_000) views.delete(views.keys().next().value!);
      deps.show(fresh);
    },
    /** Whether some tab shows the job now. */
    isShown(jobId: string): boolean {
      const now = clock.now();
      for (const view of views.values()) if (now - view.at <= shownWindowMs && view.ids.has(jobId)) return true;
      return false;
    },
    shownIds,
    /** Open streams (all batches). */
    get streamCount(): number {
      let n = 0;
      for (const subs of watchers.values()) n += subs.size;
      return n;
    },
    close(): void {
      closed = true;
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
      watchers.clear();
    },
  };
}

export type LiveHub = ReturnType<typeof createLiveHub>;
