import { HEARTBEAT_MS } from '../../../contract/live.ts';
import { holdStreamSlot, type SlotLocks } from './stream-slots.ts';

/**
 * One event stream per browser and batch, shared by all of that browser's tabs on the batch (its batch page and
 * job pages). The tab holding the batch's Web Lock opens the stream and relays every event to the others over a
 * BroadcastChannel; when it closes, the next tab waiting for the lock takes over. Twenty tabs of one batch cost
 * the server one stream, not four streams and sixteen `?since=` pollers (bench:ui-live), and no tab waits for one
 * of the browser's six HTTP/1.1 connections. Each tab still applies the events to its own query cache. The
 * following tabs say `hello` now and then; a streaming tab that hears none relays nothing.
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
  /**
   * A tab is there: on joining (`joined`: the relaying tab answers `up` if its stream is open), then every HELLO_MS
   * and on every `up`. A relaying tab that has heard none for RELAY_WINDOW_MS posts no events.
   */
  | { kind: 'hello'; joined?: boolean };

export interface ShareDeps {
  locks: SlotLocks | null;
  channel: ((name: string) => ChannelLike) | null;
  /** Opens this tab's own stream. */
  openSource(callbacks: SourceCallbacks): { close(): void };
  holdSlot?: typeof holdStreamSlot;
}

/** A relaying tab sends at least a heartbeat this often; silence beyond it means it is gone (a crashed tab). */
export const SILENT_MS = 2 * HEARTBEAT_MS + 10_000;
/** A following tab says `hello` this often. */
export const HELLO_MS = 30_000;
/**
 * A relaying tab posts events while it heard a `hello` within this: a tab alone on its batch posts nothing. Wide
 * enough for a hidden tab, whose timers may be held to once a minute.
 */
export const RELAY_WINDOW_MS = 3 * HELLO_MS;
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
  let hellos: ReturnType<typeof setInterval> | undefined;
  /** When this tab last heard another tab of the batch say `hello`. */
  let heardHelloAt = -Infinity;

  const lead = () => {
    leading = true;
    clearTimeout(silence);
    clearInterval(hellos);
    giveSlotBack = holdSlot(() => {
      source = deps.openSource({
        onEvent: (type, data) => {
          handlers.onEvent(type, data, false);
          // Posting costs each event a copy and a message, for nobody when this tab is alone on the batch.
          if (Date.now() - heardHelloAt < RELAY_WINDOW_MS) channel?.postMessage({ kind: 'event', type, data });
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
      if (message.kind === 'hello') heardHelloAt = Date.now();
      if (leading) {
        if (message.kind === 'hello' && message.joined && open) channel.postMessage({ kind: 'up' });
        return;
      }
      if (message.kind === 'event') {
        heard();
        handlers.onEvent(message.type, message.data, true);
      } else if (message.kind === 'up') {
        heard();
        // A tab that just took the stream over may not know this one is here.
        channel.postMessage({ kind: 'hello' });
      } else if (message.kind === 'down') {
        clearTimeout(silence);
        handlers.onDown();
      }
    };
    channel.postMessage({ kind: 'hello', joined: true });
    hellos = setInterval(() => channel.postMessage({ kind: 'hello' }), HELLO_MS);
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
    clearInterval(hellos);
    source?.close();
    giveSlotBack?.();
    if (leading) channel?.postMessage({ kind: 'down' });
    release?.();
    channel?.close();
  };
}
