/**
 * A binary min-heap of (due time, job id): O(log n) push/pop, so 10,000 active jobs cost nothing.
 * Rescheduling pushes a new entry with a new generation; stale entries are skipped when they surface.
 */
export interface DueEntry {
  due: number;
  seq: number;
  id: string;
  gen: number;
}

export class DueQueue {
  private heap: DueEntry[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(id: string, due: number, gen: number): void {
    const entry = { due, seq: ++this.seq, id, gen };
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  peek(): DueEntry | undefined {
    return this.heap[0];
  }

  pop(): DueEntry | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l], heap[m])) m = l;
        if (r < heap.length && less(heap[r], heap[m])) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m], heap[i]];
        i = m;
      }
    }
    return top;
  }

  clear(): void {
    this.heap = [];
  }
}

function less(a: DueEntry, b: DueEntry): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}
