/**
 * The live form of a batch snapshot on the client: the streamed compact first load, and changes (from the event
 * stream or a `?since=` poll) applied to the query's data. Pure functions of the data plus `fetch`; no store of
 * their own: TanStack Query's cache holds the one copy.
 */
import type { BatchJob } from '../../contract/dashboard-api.ts';
import { decodeJobRow, isDeltaReset, type BatchDelta, type DeltaAnswer, type JobRow, type LiveMeta, type SnapshotHead } from '../../contract/live.ts';
import { request } from './api-client.ts';
import { BatchJobs, type CompactSnapshot } from './batch-jobs.ts';

/** An event of the batch's stream that changes the data. */
export type PushedEvent = { delta: BatchDelta } | { meta: LiveMeta };

export interface SnapshotData {
  /** Jobs in compact form: the parsed JSON is dropped right here, so the cache holds no per-job objects. */
  snapshot: CompactSnapshot;
  /** serverTime − local time when the snapshot arrived: added to Date.now() to count down in the server's clock. */
  serverOffsetMs: number;
  /** Rows still arriving in the first load (0 once complete). */
  loadingRows?: number;
  /** The plain snapshot's ETag (`?live=off`), so the next poll can be a conditional GET (304 → the same data). */
  etag?: string | null;
}

function offsetOf(serverTime: string): number {
  const ms = Date.parse(serverTime);
  return Number.isNaN(ms) ? 0 : ms - Date.now();
}

/**
 * The clock offset kept unless the server's time says it moved by a second or more: every change carries the
 * server's time, and a new offset of a few ms each time re-rendered every visible row (they all take it).
 */
function steadyOffset(previous: number, serverTime: string): number {
  const offset = offsetOf(serverTime);
  return Math.abs(offset - previous) < 1_000 ? previous : offset;
}

const nextFrame = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * The compact first load: NDJSON, head line first, then lines of rows. `onPartial` gets the rows so far after
 * the first line of rows, so the page draws them while the rest arrives; each later line is parsed in its own
 * task, so no one task parses the whole batch.
 */
export async function loadBatchRows(batchId: string, signal: AbortSignal | undefined, onPartial: (data: SnapshotData) => void): Promise<SnapshotData> {
  const response = await request(`/api/batches/${encodeURIComponent(batchId)}?rows=ndjson`, { signal, headers: { Accept: 'application/x-ndjson' } });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let head: SnapshotHead | null = null;
  const jobs: BatchJob[] = [];
  const build = (loadingRows: number): SnapshotData => {
    const h = head!;
    return {
      snapshot: {
        batch: h.batch, upstream: h.upstream, serverTime: h.serverTime, retentionSeconds: h.retentionSeconds,
        revision: h.revision, checkedAt: h.checkedAt, outputs: h.outputs, jobs: new BatchJobs(jobs),
      },
      serverOffsetMs: offsetOf(h.serverTime),
      loadingRows,
    };
  };
  for (let lines = 0; ; ) {
    const { value, done } = await reader.read();
    if (value) buffer += value;
    for (let end = buffer.indexOf('\n'); end !== -1; end = buffer.indexOf('\n')) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
      if (!head) {
        head = JSON.parse(line) as SnapshotHead;
        continue;
      }
      for (const row of JSON.parse(line) as JobRow[]) jobs.push(decodeJobRow(row, head.fields));
      if (++lines === 1 && jobs.length < head.total) onPartial(build(head.total - jobs.length));
      await nextFrame();
    }
    if (done) break;
  }
  if (!head) throw new Error('The batch answer was empty.');
  return build(0);
}

/** The data with a delta applied; null when the delta does not continue from it (a gap: load afresh). */
export function applyDelta(data: SnapshotData, delta: BatchDelta): SnapshotData | null {
  const { snapshot } = data;
  const have = snapshot.revision ?? -1;
  if (delta.from > have) return null;
  if (delta.revision <= have) return applyMeta(data, delta);
  const changes = delta.jobs.map((row) => decodeJobRow(row, delta.fields));
  return {
    ...data,
    snapshot: {
      ...snapshot, batch: delta.batch, upstream: delta.upstream, serverTime: delta.serverTime,
      revision: delta.revision, checkedAt: delta.checkedAt, outputs: delta.outputs, jobs: snapshot.jobs.withChanges(changes),
    },
    serverOffsetMs: steadyOffset(data.serverOffsetMs, delta.serverTime),
  };
}

/**
 * Batch-level facts that change without a revision. The same object when nothing a reader sees moved, so a
 * heartbeat re-renders nothing.
 */
export function applyMeta(data: SnapshotData, meta: LiveMeta): SnapshotData {
  const { snapshot } = data;
  const offset = steadyOffset(data.serverOffsetMs, meta.serverTime);
  const sameUpstream = JSON.stringify(snapshot.upstream) === JSON.stringify(meta.upstream);
  const sameOutputs = JSON.stringify(snapshot.outputs) === JSON.stringify(meta.outputs);
  if (sameUpstream && sameOutputs && snapshot.checkedAt === meta.checkedAt && offset === data.serverOffsetMs) return data;
  return { ...data, snapshot: { ...snapshot, upstream: meta.upstream, checkedAt: meta.checkedAt, outputs: meta.outputs }, serverOffsetMs: offset };
}

/**
 * Pushed events in order applied to the data: the same object when nothing a reader sees moved; null when a
 * delta does not continue from the data (a gap: load afresh).
 */
export function applyPending(data: SnapshotData, events: readonly PushedEvent[]): SnapshotData | null {
  let current = data;
  for (const event of events) {
    const next = 'delta' in event ? applyDelta(current, event.delta) : applyMeta(current, event.meta);
    if (!next) return null;
    current = next;
  }
  return current;
}

/** `?since=`: only what changed. Null when the server says to load afresh. */
export async function getBatchChanges(batchId: string, data: SnapshotData, signal?: AbortSignal): Promise<SnapshotData | null> {
  const revision = data.snapshot.revision ?? 0;
  const response = await request(`/api/batches/${encodeURIComponent(batchId)}?since=${revision}`, { signal });
  const answer = (await response.json()) as DeltaAnswer;
  if (isDeltaReset(answer)) return null;
  return applyDelta(data, answer);
}
