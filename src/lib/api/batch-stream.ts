import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { BatchDelta, LiveMeta, ViewRequest } from '../../../contract/live.ts';
import { request } from '../api-client.ts';
import { applyPending, type PushedEvent, type SnapshotData } from '../live-snapshot.ts';
import { onTick } from '../ticker.ts';
import { batchKeys } from './query-keys.ts';
import { shareBatchStream } from './shared-stream.ts';

/**
 * The batch's event stream (one per browser, shared by its tabs: shared-stream.ts), writing each pushed change
 * into this tab's batch query data (TanStack Query stays the one cache). While a stream is open the query does
 * not poll; when none can stay open, the query's `?since=` polling takes over. `?live=off` in the page's address keeps the old whole-snapshot polling (the
 * benchmark's baseline).
 */
const streaming = new Set<string>();
/** A change shows within this of its push (the goal is 3 s from the upstream to the screen). */
export const APPLY_MS = 1_000;
const freshBase = new Set<string>();

export function liveEnabled(): boolean {
  return typeof window === 'undefined' || new URLSearchParams(window.location.search).get('live') !== 'off';
}

export function isStreaming(batchId: string): boolean {
  return streaming.has(batchId);
}

/** Whether the next fetch must load the batch afresh (the server said a delta cannot tell it); clears the flag. */
export function takeFreshBase(batchId: string): boolean {
  return freshBase.delete(batchId);
}

/**
 * Returns when the stream dropped (local ms; null while it is open or not used): the page polls meanwhile, and
 * the freshness line tells a poll that worked since from data that may be out of date.
 */
export function useBatchStream(batchId: string | undefined, ready: boolean): number | null {
  const client = useQueryClient();
  const [droppedAt, setDroppedAt] = useState<number | null>(null);
  useEffect(() => {
    if (!batchId || !ready || !liveEnabled() || typeof EventSource === 'undefined') return;
    const key = batchKeys.detail(batchId);
    const data = client.getQueryData<SnapshotData>(key);
    const since = data?.snapshot.revision;
    if (since === undefined) return;
    // Pushed changes are applied together, once a second, on the beat of the page's clock (ticker.ts): the page
    // then renders and draws once a second for both. Each tab keeps its own phase: applied as they arrive, a
    // relayed change made twenty tabs render at the same instant, and called by each arrival a fraction of a
    // second later, within half a second of each other (bench/results/experiments/). A hidden tab's repeating
    // timers may be held to once a minute, so there each change is applied on a timer of its own (its title and
    // notifications stay current).
    let pending: PushedEvent[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    let appliedAt = 0;
    const reload = () => {
      pending = [];
      freshBase.add(batchId);
      void client.invalidateQueries({ queryKey: key });
    };
    // A change this tab cannot place (its data is older than the delta's start, e.g. a relayed stream that began
    // before this tab loaded): ask `?since=` for what it lacks; the server answers a reset if that is too much.
    const catchUp = () => {
      pending = [];
      void client.invalidateQueries({ queryKey: key });
    };
    /** Applies what arrived; true when the query's data changed. */
    const flush = (): boolean => {
      clearTimeout(timer);
      timer = undefined;
      if (pending.length === 0) return false;
      appliedAt = Date.now();
      const current = client.getQueryData<SnapshotData>(key);
      const next = current && applyPending(current, pending);
      pending = [];
      if (next === null) catchUp();
      else if (next && next !== current) {
        client.setQueryData(key, next);
        return true;
      }
      return false;
    };
    const push = (event: PushedEvent) => {
      pending.push(event);
      if (document.hidden) timer ??= setTimeout(flush, Math.max(0, appliedAt + APPLY_MS - Date.now()));
    };
    const stopTicking = onTick(flush);
    const stop = shareBatchStream(
      batchId,
      {
        onEvent: (type, data, relayed) => {
          if (type === 'delta') push({ delta: JSON.parse(data) as BatchDelta });
          else if (type === 'meta') push({ meta: JSON.parse(data) as LiveMeta });
          // The stream's own start was too old to continue; a sibling's reset says nothing of this tab's data.
          else if (relayed) catchUp();
          else reload();
        },
        onLive: () => {
          streaming.add(batchId);
          setDroppedAt(null);
        },
        onDown: () => {
          // Reconnecting (the browser resends Last-Event-ID), given up, or the relaying tab left: poll meanwhile.
          if (streaming.delete(batchId)) setDroppedAt(Date.now());
          void client.invalidateQueries({ queryKey: key });
        },
      },
      {
        openSource: ({ onEvent, onOpen, onError }) => {
          const current = client.getQueryData<SnapshotData>(key)?.snapshot.revision ?? since;
          const source = new EventSource(`/api/batches/${encodeURIComponent(batchId)}/events?since=${current}`);
          for (const type of ['delta', 'meta', 'reset'] as const) {
            source.addEventListener(type, (event) => onEvent(type, (event as MessageEvent<string>).data));
          }
          source.onopen = onOpen;
          source.onerror = onError;
          return source;
        },
      },
    );
    return () => {
      clearTimeout(timer);
      stopTicking();
      stop();
      streaming.delete(batchId);
    };
  }, [batchId, ready, client]);
  return droppedAt;
}

const TAB_ID = Math.random().toString(36).slice(2, 12) + Date.now().toString(36);
/** A report of what the tab shows lasts 30 s on the server: renewed well before. */
const VIEW_RENEW_MS = 20_000;

/** Tells the server which jobs this tab shows (visible rows, an open job page), so the tracker polls them first. */
export function useReportView(batchId: string | undefined, ids: readonly string[]): void {
  const [renewals, setRenewals] = useState(0);
  const key = ids.join(',');
  useEffect(() => {
    if (!batchId || key === '' || !liveEnabled()) return;
    const body: ViewRequest = { tab: TAB_ID, ids: key.split(',') };
    // Settles first: scrolling through 10,000 rows reports where it stopped, not every row on the way.
    const send = setTimeout(() => {
      request(`/api/batches/${encodeURIComponent(batchId)}/view`, { method: 'POST', json: body }).catch(() => {});
    }, 300);
    const renew = setTimeout(() => setRenewals((n) => n + 1), VIEW_RENEW_MS);
    return () => {
      clearTimeout(send);
      clearTimeout(renew);
    };
  }, [batchId, key, renewals]);
}
