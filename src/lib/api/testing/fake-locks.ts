import type { SlotLocks } from '../stream-slots.ts';

/** Web Locks as the browser keeps them for all tabs of an origin: exclusive, granted in request order. */
export function fakeLocks(): SlotLocks {
  const held = new Set<string>();
  const waiting = new Map<string, (() => void)[]>();
  const grant = (name: string, callback: (lock: unknown) => Promise<void> | void) => {
    held.add(name);
    return Promise.resolve(callback({ name })).finally(() => {
      held.delete(name);
      waiting.get(name)?.shift()?.();
    });
  };
  return {
    request(name, options, callback) {
      if (!held.has(name)) return grant(name, callback);
      if (options.ifAvailable) return Promise.resolve(callback(null));
      return new Promise((resolve, reject) => {
        const queue = waiting.get(name) ?? [];
        const go = () => resolve(grant(name, callback));
        queue.push(go);
        waiting.set(name, queue);
        options.signal?.addEventListener('abort', () => {
          queue.splice(queue.indexOf(go), 1);
          reject(new DOMException('aborted', 'AbortError'));
        });
      });
    },
  };
}
