import { describe, expect, it, vi } from 'vitest';
import { STREAM_SLOTS, holdStreamSlot } from './stream-slots.ts';
import { fakeLocks } from './testing/fake-locks.ts';

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('event stream slots shared by the tabs of one browser', () => {
  it('lets only a few tabs stream at once, and a waiting tab streams when the slot it waits for frees', async () => {
    // Waiting tabs choose a slot at random; here all wait for slot 0, held by the first tab.
    const random = vi.spyOn(Math, 'random').mockReturnValue(0);
    const locks = fakeLocks();
    const streaming = new Set<number>();
    const tabs = Array.from({ length: STREAM_SLOTS + 3 }, (_, tab) => holdStreamSlot(() => streaming.add(tab), locks));
    await settle();
    expect([...streaming].sort()).toEqual([0, 1, 2, 3]);
    tabs[0]();
    streaming.delete(0);
    await settle();
    expect([...streaming].sort()).toEqual([1, 2, 3, 4]);
    tabs[4]();
    streaming.delete(4);
    await settle();
    expect([...streaming].sort()).toEqual([1, 2, 3, 5]);
    for (const close of tabs) close();
    random.mockRestore();
  });

  it('streams at once where the browser has no Web Locks', () => {
    let streamed = false;
    holdStreamSlot(() => (streamed = true), null);
    expect(streamed).toBe(true);
  });
});
