/**
 * What changed in a batch since revision N, in the compact row form of contract/live.ts, and the compact first
 * load. Both read the store's per-link change revision (one indexed range), never the whole batch, and cache
 * what many tabs ask alike: one delta per (batch, from, to), one encoded row per job version.
 */
import type { BatchSummary, UpstreamHealth } from '../../contract/dashboard-api.ts';
import { JOB_FIELDS, ROWS_PER_LINE, encodeJobRow, type LiveMeta, type SnapshotHead } from '../../contract/live.ts';
import { iso } from '../batches/expiry.ts';
import type { BatchRow, BatchStore } from '../batches/store.ts';
import { summaryFromJobs, summaryFromRow, toBatchJob } from '../batches/views.ts';
import type { Clock } from '../tracker/clock.ts';

/**
 * A tab further behind than this many changed jobs loads afresh: past a few thousand rows a delta is no
 * cheaper to send or apply than the compact first load, and a tab that lagged that far (asleep, on a slow
 * link) is better served by a clean base.
 */
export const MAX_DELTA_ROWS = 2_000;

const MAX_CACHED_DELTAS = 64;
const MAX_CACHED_ROWS = 200_000;
/** Rows in the first line of a first load: a screenful and some, so the page draws at once. */
export const FIRST_LINE_ROWS = 200;
const FIELDS_JSON = JSON.stringify(JOB_FIELDS);

export interface FeedDeps {
  store: BatchStore;
  clock: Clock;
  retentionSeconds: number;
  health(): UpstreamHealth;
  /** The tracker's latest answer about any job of the batch (ms), if any. */
  checkedAt(batchId: string): number | null;
  /** The batch's "Keep outputs" switch and the disk budget (server/outputs). */
  outputs(batchId: string): LiveMeta['outputs'];
}

/** A delta as JSON text without its closing brace, so the per-send meta (health, clock) can be spliced in. */
export type DeltaText = { reset: false; to: number; open: string; ids: readonly string[] } | { reset: true; to: number };

export function createLiveFeed(deps: FeedDeps) {
  const { store } = deps;
  const deltas = new Map<string, DeltaText>();
  const summaries = new Map<string, { revision: number; summary: BatchSummary }>();
  const rows = new Map<string, { version: number; addedAt: number; json: string }>();

  function summary(batch: BatchRow): BatchSummary {
    const hit = summaries.get(batch.id);
    if (hit && hit.revision === batch.revision) return hit.summary;
    const row = store.summary(batch.id);
    const made = row ? summaryFromRow(row) : summaryFromJobs(batch, []);
    summaries.set(batch.id, { revision: batch.revision, summary: made });
    return made;
  }

  function meta(batchId: string, revision: number): LiveMeta {
    const checked = deps.checkedAt(batchId);
    return {
      revision,
      upstream: deps.health(),
      serverTime: iso(deps.clock.now()),
      checkedAt: checked === null ? null : iso(checked),
      outputs: deps.outputs(batchId),
    };
  }

  /** `{…meta}` members as JSON text, to close a cached delta. */
  function metaText(batchId: string, revision: number): string {
    const m = meta(batchId, revision);
    return `"revision":${revision},"upstream":${JSON.stringify(m.upstream)},"serverTime":"${m.serverTime}","checkedAt":${JSON.stringify(m.checkedAt)},"outputs":${JSON.stringify(m.outputs)}`;
  }

  function encodedRow(row: Parameters<typeof toBatchJob>[0]): string {
    return JSON.stringify(encodeJobRow(toBatchJob(row, deps.retentionSeconds)));
  }

  /** The changes after `since`, or a reset when they cannot be told. Undefined: no such batch. */
  function delta(batchId: string, since: number): DeltaText | undefined {
    const live = store.liveRevision(batchId);
    if (!live) return undefined;
    const to = live.revision;
    if (!Number.isSafeInteger(since) || since < live.base_rev || since > to) return { reset: true, to };
    const key = `${batchId}\n${since}\n${to}`;
    const hit = deltas.get(key);
    if (hit) return hit;
    let made: DeltaText;
    if (store.changedCount(batchId, since, MAX_DELTA_ROWS + 1) > MAX_DELTA_ROWS) made = { reset: true, to };
    else {
      const batch = store.getBatch(batchId)!;
      const changed = since === to ? [] : store.changedJobs(batchId, since);
      let jobs = '';
      for (let i = 0; i < changed.length; i++) jobs += (i === 0 ? '' : ',') + encodedRow(changed[i]);
      made = {
        reset: false,
        to,
        open: `{"from":${since},"batch":${JSON.stringify(summary(batch))},"fields":${FIELDS_JSON},"jobs":[${jobs}],`,
        ids: changed.map((row) => row.id),
      };
    }
    deltas.set(key, made);
    if (deltas.size > MAX_CACHED_DELTAS) deltas.delete(deltas.keys().next().value!);
    return made;
  }

  return {
    delta,
    /** The delta as JSON text, with current meta. */
    deltaJson(batchId: string, text: DeltaText): string {
      return text.reset ? JSON.stringify({ reset: true, revision: text.to }) : `${text.open}${metaText(batchId, text.to)}}`;
    },
    meta,
    /**
     * The batch as NDJSON lines: the head, then rows in lines of at most ROWS_PER_LINE, read a page at a time in
     * the batch's order with a turn of the event loop between pages: the head and a screenful of rows go out at
     * once, and the tracker's polls and other tabs never wait behind a 100,000-job first load. Rows are encoded
     * once per job version. A row read later may be newer than the head's revision; the changes after that
     * revision come again as deltas, which set the same values.
     */
    async *snapshotLines(batch: BatchRow): AsyncGenerator<string> {
      const { revision } = batch;
      const head: SnapshotHead = {
        ...meta(batch.id, revision),
        batch: summary(batch),
        retentionSeconds: deps.retentionSeconds,
        fields: JOB_FIELDS,
        total: 0,
      };
      head.total = head.batch.jobCount;
      yield `${JSON.stringify(head)}\n`;
      for (let after = 0, size = FIRST_LINE_ROWS; ; size = ROWS_PER_LINE) {
        const page = store.batchJobVersionPage(batch.id, after, size);
        if (page.length === 0) return;
        let line = '';
        for (const [rowid, jobId, version, addedAt] of page) {
          after = rowid;
          let hit = rows.get(jobId);
          if (!hit || hit.version !== version || hit.addedAt !== addedAt) {
            const row = store.getJob(jobId);
            if (!row) continue;
            hit = { version: row.version, addedAt, json: encodedRow({ ...row, link_added_at: addedAt }) };
            if (rows.size >= MAX_CACHED_ROWS) rows.clear();
            rows.set(jobId, hit);
          }
          line += (line === '' ? '[' : ',') + hit.json;
        }
        if (line !== '') yield `${line}]\n`;
        if (page.length < size) return;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    },
    forget(batchId: string): void {
      summaries.delete(batchId);
    },
  };
}

export type LiveFeed = ReturnType<typeof createLiveFeed>;
