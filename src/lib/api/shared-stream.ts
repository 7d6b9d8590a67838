import { HEARTBEAT_MS } from '../../../contract/live.ts';
import { holdStreamSlot, type SlotLocks } from './stream-slots.ts';

/**
 * One event stream per browser and batch, shared by all of that browser's tabs on the batch (its batch page and
 * job pages). The tab holding the batch's Web Lock opens the stream and relays every event to the others over a
 * BroadcastChannel; when it closes, the next tab waiting for the lock takes over. Twenty tabs of one batch cost
 * the server one stream, not four streams and sixteen `?since=` pollers (bench:ui-live), and no tab waits for one
 * of the browser's six HTTP/1.1 connections. Each tab still applies the events to its own query cache.
 *
 * Without Web Locks or BroadcastChannel every tab opens its own stream (within the stream slots).
 */
export type StreamEventType = 'delta' | 'meta' | 'reset';

export interface StreamHandlers {
  /** An event of the batch's stream; `relayed` when another tab's stream brought it. */
  onEvent: (type: StreamEventType, data: string, relayed: boolean) => void;
  /** A stream (this tab's or a sibling's) is open: changes arrive without polling. */
  onLive: () => void;
  /** No stream brings changes any more (dropped, closed, or silent): poll until one does. */
  onDown: () => void;
}

export interface SourceCallbacks {
  onEvent: (type: StreamEventType, data: string) => void;
  onOpen: () => void;
  onError: () => void;
}

export interface ChannelLike {
  postMessage(message: RelayMessage): void;
  onmessage: ((event: { data: RelayMessage }) => void) | null;
  close(): void;
}

export type RelayMessage =
  | { kind: 'event'; type: StreamEventType; data: string }
  /** The relaying tab's stream is open. */
  | { kind: 'up' }
  /** The relaying tab's stream dropped, or the tab left. */
  | { kind: 'down' }
  /** A tab joined: the relaying tab answers `up` if its stream is open. */
  | { kind: 'hello' };

export interface ShareDeps {
  locks: SlotLocks | null;
  channel: ((name: string) => ChannelLike) | null;
  /** Opens this tab's own stream. */
  openSource(callbacks: SourceCallbacks): { close(): void };
  holdSlot?: typeof holdStreamSlot;
}

/** A relaying tab sends at least a heartbeat this often; silence beyond it means it is gone (a crashed tab). */
export const SILENT_MS = 2 * HEARTBEAT_MS + 10_000;
const NAME_PREFIX = 'convert-dashboard-batch-stream-';

function browserDeps(): Pick<ShareDeps, 'locks' | 'channel'> {
  const locks = typeof navigator !== 'undefined' && 'locks' in navigator ? navigator.locks : null;
  const channel = typeof BroadcastChannel === 'undefined' ? null : (name: string) => new BroadcastChannel(name) as unknown as ChannelLike;
  return { locks, channel };
}

/** Follows the batch's stream (its own or a sibling tab's); the returned function stops. */
export function shareBatchStream(
  batchId: string,
  handlers: StreamHandlers,
  deps: Pick<ShareDeps, 'openSource'> & Partial<ShareDeps>,
): () => void {
  const { locks, channel: makeChannel } = { ...browserDeps(), ...deps };
  const holdSlot = deps.holdSlot ?? holdStreamSlot;
  const name = `${NAME_PREFIX}${batchId}`;
  const channel = locks && makeChannel ? makeChannel(name) : null;
  const stop = new AbortController();
  let leading = false;
  let open = false;
  let source: { close(): void } | null = null;
  let giveSlotBack: (() => void) | null = null;
  let release: (() => void) | null = null;
  let silence: ReturnType<typeof setTimeout> | undefined;

  const lead = () => {
    leading = true;
    clearTimeout(silence);
    giveSlotBack = holdSlot(() => {
      source = deps.openSource({
        onEvent: (type, data) => {
          handlers.onEvent(type, data, false);
          channel?.postMessage({ kind: 'event', type, data });
        },
        onOpen: () => {
          open = true;
          handlers.onLive();
          channel?.postMessage({ kind: 'up' });
        },
        onError: () => {
          open = false;
          handlers.onDown();
          channel?.postMessage({ kind: 'down' });
        },
      });
    }, locks);
  };

  const heard = () => {
    clearTimeout(silence);
    silence = setTimeout(handlers.onDown, SILENT_MS);
    handlers.onLive();
  };

  if (!channel || !locks) lead();
  else {
    channel.onmessage = ({ data: message }) => {
      if (leading) {
        if (message.kind === 'hello' && open) channel.postMessage({ kind: 'up' });
        return;
      }
      if (message.kind === 'event') {
        heard();
        handlers.onEvent(message.type, message.data, true);
      } else if (message.kind === 'up') heard();
      else if (message.kind === 'down') {
        clearTimeout(silence);
        handlers.onDown();
      }
    };
    channel.postMessage({ kind: 'hello' });
    locks
      .request(name, { signal: stop.signal }, () =>
        new Promise<void>((resolve) => {
          release = resolve;
          if (stop.signal.aborted) resolve();
          else lead();
        }),
      )
      .catch(() => {});
  }

  return () => {
    stop.abort();
    clearTimeout(silence);
    source?.close();
    giveSlotBack?.();
    if (leading) channel?.postMessage({ kind: 'down' });
    release?.();
    channel?.close();
  };
}
