import { afterEach, describe, expect, it, vi } from 'vitest';
import { RELAY_WINDOW_MS, SILENT_MS, shareBatchStream, type ChannelLike, type RelayMessage, type SourceCallbacks, type StreamEventType } from './shared-stream.ts';
import { fakeLocks } from './testing/fake-locks.ts';

/** BroadcastChannel as browsers deliver it: to every other channel of the same name, asynchronously. */
function fakeChannels(posted: RelayMessage[] = []) {
  const open = new Map<string, Set<ChannelLike>>();
  return (name: string): ChannelLike => {
    const peers = open.get(name) ?? new Set<ChannelLike>();
    open.set(name, peers);
    const channel: ChannelLike = {
      onmessage: null,
      postMessage(message: RelayMessage) {
        posted.push(message);
        for (const peer of peers) if (peer !== channel) queueMicrotask(() => peer.onmessage?.({ data: structuredClone(message) }));
      },
      close: () => void peers.delete(channel),
    };
    peers.add(channel);
    return channel;
  };
}

/** One browser: its tabs share the locks and the channels; each tab's own streams are recorded. */
function browser({ locks = true, channels = true } = {}) {
  const lockSet = locks ? fakeLocks() : null;
  const posted: RelayMessage[] = [];
  const channel = channels ? fakeChannels(posted) : null;
  const sources: { tab: number; callbacks: SourceCallbacks; closed: boolean }[] = [];
  const tabs: { events: [StreamEventType, string, boolean][]; live: boolean; downs: number; stop: () => void }[] = [];
  const openTab = (batchId = 'b1') => {
    const index = tabs.length;
    const tab = { events: [] as [StreamEventType, string, boolean][], live: false, downs: 0, stop: () => {} };
    tabs.push(tab);
    tab.stop = shareBatchStream(
      batchId,
      {
        onEvent: (type, data, relayed) => tab.events.push([type, data, relayed]),
        onLive: () => (tab.live = true),
        onDown: () => {
          tab.live = false;
          tab.downs++;
        },
      },
      {
        locks: lockSet,
        channel,
        // Slots are stream-slots.ts's own business (tested there): here every leader gets one at once.
        holdSlot: (onSlot) => {
          onSlot();
          return () => {};
        },
        openSource: (callbacks) => {
          const source = { tab: index, callbacks, closed: false };
          sources.push(source);
          return { close: () => void (source.closed = true) };
        },
      },
    );
    return tab;
  };
  const openSources = () => sources.filter((s) => !s.closed);
  /** Events posted to the channel (relayed), in order. */
  const relayed = () => posted.filter((m) => m.kind === 'event');
  return { openTab, tabs, sources, openSources, relayed };
}

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
};

afterEach(() => vi.useRealTimers());

describe('one event stream per browser and batch, shared by its tabs', () => {
  it('opens one stream for three tabs and relays each of its events to the other two', async () => {
    const b = browser();
    const [first, second, third] = [b.openTab(), b.openTab(), b.openTab()];
    await settle();
    expect(b.sources.map((s) => s.tab)).toEqual([0]);
    b.sources[0].callbacks.onOpen();
    await settle();
    expect([first.live, second.live, third.live]).toEqual([true, true, true]);
    b.sources[0].callbacks.onEvent('delta', '{"from":1}');
    b.sources[0].callbacks.onEvent('meta', '{"revision":2}');
    await settle();
    expect(first.events).toEqual([['delta', '{"from":1}', false], ['meta', '{"revision":2}', false]]);
    for (const tab of [second, third]) expect(tab.events).toEqual([['delta', '{"from":1}', true], ['meta', '{"revision":2}', true]]);
  });

  it('hands the stream to a waiting tab when the streaming tab closes, and the others poll in between', async () => {
    const b = browser();
    const [first, second, third] = [b.openTab(), b.openTab(), b.openTab()];
    await settle();
    b.sources[0].callbacks.onOpen();
    await settle();
    first.stop();
    await settle();
    expect(b.sources[0].closed).toBe(true);
    // The next tab in line opened its own stream; until it is open the third polls.
    expect(b.openSources().map((s) => s.tab)).toEqual([1]);
    expect(third.live).toBe(false);
    expect(third.downs).toBe(1);
    b.openSources()[0].callbacks.onOpen();
    b.openSources()[0].callbacks.onEvent('delta', '{"from":5}');
    await settle();
    expect(second.live).toBe(true);
    expect(third.live).toBe(true);
    expect(third.events.at(-1)).toEqual(['delta', '{"from":5}', true]);
  });

  it('tells the other tabs to poll while the stream reconnects', async () => {
    const b = browser();
    const [, second] = [b.openTab(), b.openTab()];
    await settle();
    b.sources[0].callbacks.onOpen();
    await settle();
    b.sources[0].callbacks.onError();
    await settle();
    expect(second.live).toBe(false);
    b.sources[0].callbacks.onOpen();
    await settle();
    expect(second.live).toBe(true);
  });

  it('tells a tab that opens later that the stream is already open', async () => {
    const b = browser();
    b.openTab();
    await settle();
    b.sources[0].callbacks.onOpen();
    await settle();
    const late = b.openTab();
    await settle();
    expect(late.live).toBe(true);
    expect(b.sources).toHaveLength(1);
  });

  it('polls when the streaming tab falls silent (crashed) for longer than two heartbeats', async () => {
    const b = browser();
    const [, second] = [b.openTab(), b.openTab()];
    await settle();
    vi.useFakeTimers();
    b.sources[0].callbacks.onOpen();
    await vi.advanceTimersByTimeAsync(0);
    expect(second.live).toBe(true);
    await vi.advanceTimersByTimeAsync(SILENT_MS - 1_000);
    expect(second.live).toBe(true);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(second.live).toBe(false);
  });

  it('posts no events while no other tab of the batch is there, and relays while one keeps saying hello', async () => {
    vi.useFakeTimers();
    const b = browser();
    const lone = b.openTab();
    await vi.advanceTimersByTimeAsync(0);
    b.sources[0].callbacks.onOpen();
    b.sources[0].callbacks.onEvent('delta', '{"from":1}');
    await vi.advanceTimersByTimeAsync(0);
    expect(lone.events).toEqual([['delta', '{"from":1}', false]]);
    expect(b.relayed()).toEqual([]);

    const other = b.openTab();
    await vi.advanceTimersByTimeAsync(0);
    b.sources[0].callbacks.onEvent('delta', '{"from":2}');
    await vi.advanceTimersByTimeAsync(0);
    expect(other.events).toEqual([['delta', '{"from":2}', true]]);
    // Longer than the window: the other tab's periodic hellos keep the relay on.
    await vi.advanceTimersByTimeAsync(RELAY_WINDOW_MS + 1_000);
    b.sources[0].callbacks.onEvent('delta', '{"from":3}');
    await vi.advanceTimersByTimeAsync(0);
    expect(other.events.at(-1)).toEqual(['delta', '{"from":3}', true]);

    // Gone without a word (a crashed tab says nothing either): once the window passes, nothing is posted.
    other.stop();
    const posted = b.relayed().length;
    await vi.advanceTimersByTimeAsync(RELAY_WINDOW_MS + 1_000);
    b.sources[0].callbacks.onEvent('delta', '{"from":4}');
    await vi.advanceTimersByTimeAsync(0);
    expect(b.relayed()).toHaveLength(posted);
    expect(lone.events.at(-1)).toEqual(['delta', '{"from":4}', false]);
  });

  it('keeps batches apart: each batch has its own stream', async () => {
    const b = browser();
    const one = b.openTab('b1');
    b.openTab('b2');
    await settle();
    expect(b.sources.map((s) => s.tab)).toEqual([0, 1]);
    b.sources[1].callbacks.onEvent('delta', '{"from":9}');
    await settle();
    expect(one.events).toEqual([]);
  });

  it('lets every tab stream on its own without Web Locks or BroadcastChannel', async () => {
    for (const missing of [{ locks: false }, { channels: false }]) {
      const b = browser(missing);
      b.openTab();
      b.openTab();
      await settle();
      expect(b.sources.map((s) => s.tab)).toEqual([0, 1]);
    }
  });
});
