/**
 * What changed in a batch since revision N, in the compact row form of contract/live.ts, and the compact first
 * load. Both read the store's per-link change revision (one indexed range), never the whole batch, and cache
 * what many tabs ask alike: one delta per (batch, from, to), one encoded row per job version.
 */
import type { BatchSummary, UpstreamHealth } from '../../contract/dashboard-api.ts';
import { JOB_FIELDS, ROWS_PER_LINE, encodeJobRow, type LiveMeta, type SnapshotHead } from '../../contract/live.ts';
import { iso } from '../batches/expiry.ts';
import type { BatchRow, BatchStore } from '../batches/store.ts';
import { summaryFromJobs, summaryFromRow, toBatchJob, type SummaryFields } from '../batches/views.ts';
import type { Clock } from '../tracker/clock.ts';

/**
 * A tab further behind than this many changed jobs loads afresh: past a few thousand rows a delta is no
 * cheaper to send or apply than the compact first load, and a tab that lagged that far (asleep, on a slow
 * link) is better served by a clean base.
 */
export const MAX_DELTA_ROWS = 2_000;

const MAX_CACHED_DELTAS = 64;
const MAX_CACHED_ROWS = 200_000;
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
export type DeltaText = { reset: false; to: number; open: string } | { reset: true; to: number };

export function createLiveFeed(deps: FeedDeps) {
  const { store } = deps;
  const deltas = new Map<string, DeltaText>();
  const summaries = new Map<string, { revision: number; summary: BatchSummary }>();
  const rows = new Map<string, { version: number; addedAt: number; json: string; fields: SummaryFields }>();

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
      made = { reset: false, to, open: `{"from":${since},"batch":${JSON.stringify(summary(batch))},"fields":${FIELDS_JSON},"jobs":[${jobs}],` };
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
     * The batch as NDJSON lines: the head, then rows in lines of ROWS_PER_LINE. Rows are encoded once per job
     * version, so a big batch that changed a little costs the changed rows and one pass of string joins.
     */
    snapshotLines(batch: BatchRow): string[] {
      const list = store.batchJobVersions(batch.id);
      const fields: SummaryFields[] = new Array<SummaryFields>(list.length);
      const lines: string[] = [];
      let line = '';
      for (let i = 0; i < list.length; i++) {
        const [jobId, version, addedAt] = list[i];
        let hit = rows.get(jobId);
        if (!hit || hit.version !== version || hit.addedAt !== addedAt) {
          const row = store.getJob(jobId)!;
          hit = { version: row.version, addedAt, json: encodedRow({ ...row, link_added_at: addedAt }), fields: row };
          if (rows.size >= MAX_CACHED_ROWS) rows.clear();
          rows.set(jobId, hit);
        }
        fields[i] = hit.fields;
        line += (line === '' ? '[' : ',') + hit.json;
        if ((i + 1) % ROWS_PER_LINE === 0 || i === list.length - 1) {
          lines.push(`${line}]\n`);
          line = '';
        }
      }
      const head: SnapshotHead = {
        ...meta(batch.id, batch.revision),
        batch: summaryFromJobs(batch, fields),
        retentionSeconds: deps.retentionSeconds,
        fields: JOB_FIELDS,
        total: list.length,
      };
      return [`${JSON.stringify(head)}\n`, ...lines];
    },
    forget(batchId: string): void {
      summaries.delete(batchId);
    },
  };
}

export type LiveFeed = ReturnType<typeof createLiveFeed>;
