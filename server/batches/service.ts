/**
 * The batches part of the dashboard server: the store, the tracker that feeds it, and the /api routes.
 * main.ts wires it: `app.register(service.plugin)`, the proxy's job answers to `observe`, then `start()`.
 */
import type { FastifyPluginAsync } from 'fastify';
import { ErrorCode } from '../../contract/errors.ts';
import { normalizeJobId } from '../../contract/job-id.ts';
import type { UpstreamHealth } from '../../contract/dashboard-api.ts';
import { isTerminal } from '../../contract/status.ts';
import { isFinalState } from '../../contract/tracked-state.ts';
import { createHistory, type History } from '../history/recorder.ts';
import { registerInsightRoutes } from '../history/routes.ts';
import { createNotifier, type Notifier } from '../notify/notifier.ts';
import { JobStatusResponseSchema, matches } from '../../contract/upstream-body.ts';
import { systemClock, type Clock } from '../tracker/clock.ts';
import { POLICY, isViewed, resumeDelay } from '../tracker/policy.ts';
import { createTracker, type Tracker, type TrackerOptions } from '../tracker/tracker.ts';
import type { UpstreamClient } from '../upstream.ts';
import { sendError, type BatchContext } from './context.ts';
import { registerDemoRoute } from './demo.ts';
import { createLiveFeed } from '../live/feed.ts';
import { createLiveHub } from '../live/hub.ts';
import { registerLiveRoutes } from '../live/routes.ts';
import { registerBatchRoutes } from './routes.ts';
import { openBatchStore, type BatchStore, type JobLimits } from './store.ts';
import { DEFAULT_MAX_JOBS_PER_BATCH, DEFAULT_MAX_JOBS_TOTAL } from '../config.ts';
import { join } from 'node:path';
import { createKeeper, type Keeper } from '../outputs/keeper.ts';
import { DEFAULT_KEEP_DAYS, DEFAULT_KEEP_MAX_BYTES, registerOutputRoutes } from '../outputs/routes.ts';
import { createSubmissions, type Submissions, type SubmissionsOptions } from '../submissions/index.ts';
import { InvalidRequestError, validatorCompiler } from './validate.ts';

/** How long after the latest possible expiry the output's absence is confirmed upstream. */
const EXPIRY_CHECK_MARGIN_MS = 2_000;
/** Jobs of a batch just opened whose next polls are pulled in per turn of the event loop. */
const EXPEDITE_STEP = 2_000;

export interface BatchServiceOptions {
  dataDir: string;
  upstream: UpstreamClient;
  retentionSeconds: number;
  samplesDir: string;
  clock?: Clock;
  random?: () => number;
  trackerOptions?: Partial<TrackerOptions>;
  /** What `GET /api/config` names as the upstream: `bundled`, or (default) the upstream's origin. */
  upstreamLabel?: string;
  /** Opened already (main opens it first, so that a data folder in use is reported before anything starts). */
  store?: BatchStore;
  /** Incoming webhooks for batch events (server/notify). */
  webhookUrls?: readonly string[];
  /** For links to the batch in notifications. */
  publicUrl?: string | null;
  /** STALL_DEFAULT_SECONDS, in ms (server/history/rules.ts; default 5 min). */
  stallDefaultMs?: number;
  /** Where webhook delivery failures are reported. */
  log?: (message: string) => void;
  /** Spool and feeder settings (server/submissions); defaults: FEED_MAX_ACTIVE 18, 20 GB, 24 hours. */
  submissions?: Partial<Omit<SubmissionsOptions, 'dataDir'>>;
  /** What the upstream's health is when not what the tracker saw (e.g. the bundled service restarting); null: the tracker's. */
  upstreamHealth?: () => UpstreamHealth | null;
  /** MAX_JOBS_PER_BATCH and MAX_JOBS_TOTAL. */
  limits?: Partial<JobLimits>;
  /** New batches' "Keep outputs" switch, when the store is opened here (main passes its own store). */
  keepOutputsDefault?: boolean;
  /** Kept outputs (server/outputs): KEEP_OUTPUTS_MAX_GB in bytes, KEEP_OUTPUTS_DAYS. */
  keepOutputs?: { maxBytes?: number; keepDays?: number; concurrency?: number };
}

export interface JobObservation {
  jobId: string;
  action: 'cancel' | 'delete' | 'download' | 'status';
  statusCode: number;
  body?: unknown;
}

export interface BatchService {
  /** Registers every /api/batches… route and /api/config (absolute paths). */
  plugin: FastifyPluginAsync;
  /** What the proxy saw the upstream answer for a job: reflected in the batches that list it. */
  observe(event: JobObservation): void;
  /** Starts tracking every job left active in the store (after a restart too). */
  start(): void;
  close(): Promise<void>;
  /** For tests and diagnostics. */
  readonly store: BatchStore;
  readonly tracker: Tracker;
  /** This server's copies of outputs; the proxy serves them after the upstream's are gone. */
  readonly keeper: Keeper;
  readonly live: BatchContext['live'];
  readonly history: History;
  readonly notifier: Notifier;
  readonly submissions: Submissions;
}

export function createBatchService(opts: BatchServiceOptions): BatchService {
  const clock = opts.clock ?? systemClock;
  const random = opts.random ?? Math.random;
  const store = opts.store ?? openBatchStore(opts.dataDir, { keepOutputsDefault: opts.keepOutputsDefault });
  const viewedAt = new Map<string, number>();
  const viewWindowMs = opts.trackerOptions?.policy?.viewWindowMs ?? POLICY.viewWindowMs;
  // "Checked N s ago" is a fact of the batch: the tracker's latest answer about any of its jobs. A poll that saw
  // nothing new changes only this, never the batch's revision.
  const checkedAt = new Map<string, number>();
  const noteChecked = (jobId: string, at: number) => {
    for (const batchId of store.batchIdsOfJob(jobId)) checkedAt.set(batchId, at);
  };
  const feed = createLiveFeed({
    store,
    clock,
    retentionSeconds: opts.retentionSeconds,
    health: () => opts.upstreamHealth?.() ?? tracker.health(),
    checkedAt: (batchId) => checkedAt.get(batchId) ?? null,
    outputs: (batchId) => ctx.outputs(batchId),
  });
  const hub = createLiveHub({
    feed,
    clock,
    markViewed: (batchId) => ctx.markViewed(batchId),
    show: (ids) => tracker.show(ids),
    shownWindowMs: opts.trackerOptions?.policy?.shownWindowMs,
  });

  /**
   * What the tracker and the proxy's observations write: a store that cannot save (disk full, database file
   * removed) must not take the process down from a poll; the routes report it (507, 503, /api/health).
   */
  let lastUnsaved: string | null = null;
  const unsaved = (write: () => void) => {
    try {
      write();
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'error';
      if (code !== lastUnsaved) console.error(`An observation could not be saved: ${(error as Error).message}`);
      lastUnsaved = code;
    }
  };
  const keeper = createKeeper({
    dir: join(opts.dataDir, 'outputs'),
    store,
    upstream: opts.upstream,
    clock,
    maxBytes: opts.keepOutputs?.maxBytes ?? DEFAULT_KEEP_MAX_BYTES,
    keepDays: opts.keepOutputs?.keepDays ?? DEFAULT_KEEP_DAYS,
    concurrency: opts.keepOutputs?.concurrency,
  });

  const tracker = createTracker({
    upstream: opts.upstream,
    clock,
    random,
    options: opts.trackerOptions,
    sink: {
      status: (jobId, body, sentAt, receivedAt) =>
        unsaved(() => {
          store.recordStatus(jobId, body, sentAt, receivedAt);
          noteChecked(jobId, receivedAt);
          history.jobObserved(jobId, receivedAt);
          scheduleExpiryCheck(jobId);
          if (body.status === 'Succeeded') keeper.consider(jobId);
          // A finished job frees a feeder slot at once.
          submissions.jobChanged(jobId);
        }),
      gone: (jobId, problem, at) =>
        unsaved(() => {
          store.recordGone(jobId, problem, at);
          noteChecked(jobId, at);
          submissions.jobChanged(jobId);
        }),
      forbidden: (jobId, problem, at) =>
        unsaved(() => {
          store.recordForbidden(jobId, problem, at);
          noteChecked(jobId, at);
          submissions.jobChanged(jobId);
        }),
      problem: (jobId, problem, at) =>
        unsaved(() => {
          store.recordProblem(jobId, problem, at);
          noteChecked(jobId, at);
        }),
      isShown: (jobId) => hub.isShown(jobId),
      isFeeding: (jobId) => submissions.queue.holdsSlotWanted(jobId),
      isViewed: (jobId) => {
        const now = clock.now();
        return store.batchIdsOfJob(jobId).some((b) => isViewed(viewedAt.get(b), now, { ...POLICY, viewWindowMs }));
      },
    },
  });

  const notifier = createNotifier({ urls: opts.webhookUrls ?? [], publicUrl: opts.publicUrl ?? null, clock, log: opts.log });
  const history = createHistory({
    store,
    clock,
    retentionSeconds: opts.retentionSeconds,
    health: () => tracker.health(),
    onEvent: (event) => notifier.notify(event),
    rules: opts.stallDefaultMs === undefined ? undefined : { stallDefaultMs: opts.stallDefaultMs },
  });

  /**
   * The tracker stops polling a finished job, so nothing would notice its output being deleted upstream:
   * look once more just after the latest possible expiry, and mark it expired if it is gone. If it is still
   * there (the upstream keeps outputs longer than `retentionSeconds`), look again later, less and less often.
   */
  function scheduleExpiryCheck(jobId: string): void {
    const job = store.getJob(jobId);
    if (!job || job.state !== 'Succeeded' || !job.has_output || job.output_expired || job.first_seen_terminal_at === null) return;
    const now = clock.now();
    const latest = job.first_seen_terminal_at + opts.retentionSeconds * 1000;
    const at = latest >= now ? latest + EXPIRY_CHECK_MARGIN_MS : now + Math.max(60_000, (now - job.first_seen_terminal_at) / 2);
    tracker.checkAt(jobId, job.submitted_at ?? job.added_at, at);
  }

  const ctx: BatchContext = {
    store,
    tracker,
    upstream: opts.upstream,
    clock,
    retentionSeconds: opts.retentionSeconds,
    samplesDir: opts.samplesDir,
    upstreamLabel: opts.upstreamLabel ?? opts.upstream.origin,
    limits: { perBatch: DEFAULT_MAX_JOBS_PER_BATCH, total: DEFAULT_MAX_JOBS_TOTAL, ...opts.limits },
    health: () => opts.upstreamHealth?.() ?? tracker.health(),
    markViewed(batchId) {
      const now = clock.now();
      const before = viewedAt.get(batchId);
      viewedAt.set(batchId, now);
      if (before !== undefined && now - before <= viewWindowMs) return;
      // Someone just opened this batch: jobs on the slow unviewed cap come within the viewed cap. In steps, after
      // the request that opened it: rescheduling 100,000 jobs at once held the page's first load for a second.
      let ids: string[] = [];
      const step = (start: number) => {
        if (closed) return;
        if (start === 0) ids = store.activeJobIdsOfBatch(batchId);
        tracker.expedite(ids.slice(start, start + EXPEDITE_STEP));
        if (start + EXPEDITE_STEP < ids.length) setImmediate(step, start + EXPEDITE_STEP);
      };
      setImmediate(step, 0);
    },
    jobsListed(ids, spreadOver = ids.length) {
      for (const id of ids) {
        const job = store.getJob(id);
        // A big paste is spread over a few seconds rather than polled all at once.
        if (job && !isFinalState(job.state)) tracker.track(id, job.submitted_at ?? job.added_at, resumeDelay(spreadOver, random()));
      }
    },
    jobsUnlisted(ids) {
      for (const id of ids) {
        tracker.untrack(id);
        // Deleting a batch (or removing jobs from it) deletes the copies no other batch lists.
        void keeper.discard(id);
      }
    },
    outputs: (batchId) => ({
      keep: store.getBatch(batchId)?.keep_outputs === 1,
      skippedForSpace: store.skippedForSpace(batchId),
      usedBytes: keeper.usedBytes(),
      limitBytes: keeper.maxBytes,
      keepDays: keeper.keepDays,
    }),
    live: { store, feed, hub },
    batchDeleting: (batchId) => submissions.batchDeleting(batchId),
  };

  const submissions = createSubmissions(ctx, {
    dataDir: opts.dataDir,
    maxActive: 18,
    spoolMaxBytes: 20 * 1024 ** 3,
    sourceRetentionMs: 24 * 3_600_000,
    ...opts.submissions,
  });

  let started = false;
  let closed = false;

  return {
    store,
    tracker,
    keeper,
    live: ctx.live,
    history,
    notifier,
    submissions,
    plugin: async (app) => {
      app.setValidatorCompiler(validatorCompiler);
      app.setErrorHandler((error: { statusCode?: number; code?: string; message: string }, request, reply) => {
        if (error instanceof InvalidRequestError) return sendError(reply, error.statusCode, error.code, error.message);
        const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
        if (error.code === 'STORE_LOST') return sendError(reply, 503, ErrorCode.storageUnavailable, error.message);
        if (error.code === 'SQLITE_FULL') {
          request.log.error({ err: error }, 'the batch store is full');
          return sendError(reply, 507, ErrorCode.storageFull, "The dashboard server's disk is full, so nothing was saved. Free some space on the disk that holds the data folder, then try again.");
        }
        if (status >= 500) {
          request.log.error({ err: error }, 'batch route failed');
          return sendError(reply, 500, 'internal', 'Internal server error.');
        }
        if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(reply, 413, ErrorCode.payloadTooLarge, 'The request body is too large.');
        if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
          return sendError(reply, 415, ErrorCode.invalidContentType, 'Send JSON (Content-Type: application/json).');
        }
        return sendError(reply, status, ErrorCode.invalidBody, error.message);
      });
      // Clients often send `Content-Type: application/json` on every request, bodyless DELETEs and POSTs
      // included; Fastify's parser refuses an empty JSON body, ours reads it as "no body".
      const jsonParser = app.getDefaultJsonParser('error', 'error');
      app.removeContentTypeParser('application/json');
      app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
        if (body === '') return done(null, undefined);
        return jsonParser(request, body.toString(), done);
      });
      // The data folder's state: 503 with the sentence once the database file vanished (writes are refused).
      app.get('/api/health', async (_request, reply) => {
        const lost = store.lostReason();
        return lost ? sendError(reply, 503, ErrorCode.storageUnavailable, lost) : { ok: true };
      });
      await registerBatchRoutes(app, ctx);
      registerLiveRoutes(app, ctx.live);
      await registerDemoRoute(app, ctx);
      await submissions.register(app);
      await registerInsightRoutes(app, ctx, history);
      await registerOutputRoutes(app, ctx, keeper);
    },
    observe(event) {
      if (closed) return;
      const jobId = normalizeJobId(event.jobId);
      // Only jobs some batch lists: the proxy also serves scripts' jobs, which the dashboard does not keep.
      if (!jobId || !store.isListed(jobId)) return;
      const job = store.getJob(jobId);
      if (!job) return;
      const now = clock.now();
      const since = job.submitted_at ?? job.added_at;
      switch (event.action) {
        case 'cancel':
          if (event.statusCode === 202) tracker.pokeSoon(jobId, since);
          break;
        case 'delete':
          if (event.statusCode === 204) {
            store.markDeleted(jobId, now);
            tracker.untrack(jobId);
            // Deleted on purpose: no copy of it stays here either.
            void keeper.discard(jobId);
          }
          break;
        case 'download':
          if (event.statusCode === 410) store.markOutputExpired(jobId);
          else if (event.statusCode === 200) store.markDownloaded(jobId, now);
          break;
        case 'status':
          if (event.statusCode === 200 && matches(JobStatusResponseSchema, event.body)) {
            // The proxy saw the answer just now; its send time is unknown, so `now` serves for both.
            store.recordStatus(jobId, event.body, now, now);
            history.jobObserved(jobId, now);
            if (event.body.status === 'Succeeded') keeper.consider(jobId);
            if (isTerminal(event.body.status)) {
              tracker.untrack(jobId);
              scheduleExpiryCheck(jobId);
              submissions.jobChanged(jobId);
            }
          } else if (event.statusCode === 404) {
            store.recordGone(jobId, { error: ErrorCode.jobsNotFound, detail: null, status: 404 }, now);
            tracker.untrack(jobId);
          }
          break;
      }
    },
    start() {
      if (started) return;
      started = true;
      history.start();
      const active = store.activeJobs();
      for (const job of active) tracker.track(job.id, job.since, resumeDelay(active.length, random()));
      for (const id of store.outputsAwaitingExpiry()) scheduleExpiryCheck(id);
      void submissions.start();
      void keeper.start().catch((error: unknown) => console.error('Kept outputs could not be started:', error));
    },
    async close() {
      if (closed) return;
      closed = true;
      await submissions.close();
      await keeper.close();
      hub.close();
      history.stop();
      notifier.close();
      await tracker.close();
      store.close();
    },
  };
}
