/**
 * `POST /api/batches/demo`: a batch made from the sample files listed in `${samplesDir}/demo.json`
 * (`{"items":[{"file":"photo.png","targetFormat":"jpg"}]}`), each submitted once to the upstream.
 * Only pairs the upstream offers are sent (when its conversions list has a shape we know). A `429
 * queue.limit_exceeded` means the job was not created: we wait its Retry-After (bounded) and send that item
 * again. Anything else (5xx, network) is recorded and not retried: the job may exist.
 */
import type { FastifyInstance } from 'fastify';
import { readFile } from 'node:fs/promises';
import { basename, join, resolve, sep } from 'node:path';
import type { CreateBatchResponse, DemoSubmission } from '../../contract/dashboard-api.ts';
import { ErrorCode, isErrorBody } from '../../contract/errors.ts';
import { sourceFormatOf } from '../../contract/file-format.ts';
import { normalizeJobId } from '../../contract/job-id.ts';
import { parseRetryAfter } from '../tracker/policy.ts';
import { sendError, type BatchContext } from './context.ts';
import { checkTargetFormat, isPlainObject } from './validate.ts';
import { summaryFromRow } from './views.ts';

const MAX_ITEMS = 50;
/** Longest single wait for a Retry-After, and all waits together: the operator is waiting for the answer. */
const MAX_WAIT_MS = 20_000;
const MAX_TOTAL_WAIT_MS = 60_000;

interface DemoItem {
  file: string;
  targetFormat: string;
}

export async function registerDemoRoute(app: FastifyInstance, ctx: BatchContext): Promise<void> {
  app.post('/api/batches/demo', async (request, reply) => {
    const items = await readDemoItems(ctx.samplesDir);
    if (typeof items === 'string') return sendError(reply, 503, ErrorCode.demoUnavailable, items);

    const offered = await offeredPairs(ctx);
    const startedAt = ctx.clock.now();
    // Made at the first accepted job: with the upstream unreachable (or refusing the key) the operator gets the
    // error, not an empty batch that reads as finished.
    let batch: { id: string } | null = null;
    const submissions: DemoSubmission[] = [];
    let waitedMs = 0;

    for (const item of items) {
      const source = sourceFormatOf(item.file) ?? '(no extension)';
      if (offered && !offered.has(`${source}>${item.targetFormat}`)) {
        submissions.push({
          ...item, jobId: null,
          error: { error: ErrorCode.demoUnsupportedPair, detail: `The upstream does not offer ${source} → ${item.targetFormat}.`, status: 400 },
        });
        continue;
      }
      let bytes: Buffer;
      try {
        bytes = await readFile(join(ctx.samplesDir, item.file));
      } catch {
        submissions.push({ ...item, jobId: null, error: { error: ErrorCode.demoUnavailable, detail: `Sample file ${item.file} is missing.`, status: 500 } });
        continue;
      }
      for (;;) {
        const result = await submitOnce(ctx, item, bytes);
        if ('jobId' in result) {
          const at = ctx.clock.now();
          batch ??= ctx.store.createBatch(`Demo – ${items.length} sample files`, startedAt);
          ctx.store.recordSubmission(batch.id, result.jobId, { fileName: basename(item.file), targetFormat: item.targetFormat, at, creditCost: result.creditCost });
          ctx.tracker.track(result.jobId, at);
          submissions.push({ ...item, jobId: result.jobId, error: null });
          break;
        }
        const wait = result.retryAfterMs;
        if (result.problem.status === 429 && wait !== null && wait <= MAX_WAIT_MS && waitedMs + wait <= MAX_TOTAL_WAIT_MS) {
          waitedMs += wait;
          await new Promise<void>((done) => ctx.clock.setTimeout(done, wait));
          continue;
        }
        submissions.push({ ...item, jobId: null, error: result.problem });
        break;
      }
    }
    if (!batch) {
      // Nothing was accepted: the first real refusal says why (an unsupported pair only if that is all there was).
      const problem = submissions.find((s) => s.error && s.error.error !== ErrorCode.demoUnsupportedPair)?.error ?? submissions[0]?.error;
      // The upstream's refusal is not the browser's (a 401 here is the server's key): 502, except "try later".
      const status = problem?.status === 429 ? 429 : problem?.error === ErrorCode.demoUnsupportedPair ? 503 : 502;
      const code = problem?.error === ErrorCode.demoUnsupportedPair ? ErrorCode.demoUnavailable : (problem?.error ?? ErrorCode.demoUnavailable);
      return sendError(reply, status, code, problem?.detail ?? null);
    }
    request.log.info({ batch: batch.id, submitted: submissions.filter((s) => s.jobId).length }, 'demo batch created');
    const answer: CreateBatchResponse = { batch: summaryFromRow(ctx.store.summary(batch.id)!), ids: null, submissions };
    return reply.code(201).send(answer);
  });
}

async function readDemoItems(samplesDir: string): Promise<DemoItem[] | string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(join(samplesDir, 'demo.json'), 'utf8'));
  } catch {
    return 'No demo samples are installed (samples/demo.json is missing or unreadable).';
  }
  const raw = isPlainObject(parsed) && Array.isArray(parsed.items) ? parsed.items : null;
  if (!raw) return 'samples/demo.json must be {"items":[{"file":"…","targetFormat":"…"}]}.';
  const root = resolve(samplesDir) + sep;
  const items: DemoItem[] = [];
  for (const entry of raw.slice(0, MAX_ITEMS)) {
    if (!isPlainObject(entry) || typeof entry.file !== 'string') continue;
    const target = checkTargetFormat(entry.targetFormat);
    // The manifest only names files inside the samples folder.
    if (!target.ok || !resolve(samplesDir, entry.file).startsWith(root)) continue;
    items.push({ file: entry.file, targetFormat: target.value });
  }
  return items.length > 0 ? items : 'samples/demo.json lists no usable items.';
}

/** `source>target` pairs, or null when the upstream's answer has a shape we do not know (then we try all). */
async function offeredPairs(ctx: BatchContext): Promise<Set<string> | null> {
  try {
    const res = await ctx.upstream.request({ method: 'GET', path: '/convert/conversions', headers: { accept: 'application/json' } });
    const body = JSON.parse(await ctx.upstream.text(res)) as unknown;
    if (res.statusCode !== 200 || !isPlainObject(body) || !Array.isArray(body.conversions)) return null;
    const pairs = new Set<string>();
    for (const c of body.conversions) {
      if (!isPlainObject(c) || typeof c.targetFormat !== 'string' || !Array.isArray(c.sourceFormats)) return null;
      for (const s of c.sourceFormats) if (typeof s === 'string') pairs.add(`${s.toLowerCase()}>${c.targetFormat.toLowerCase()}`);
    }
    return pairs;
  } catch {
    return null;
  }
}

type SubmitResult =
  | { jobId: string; creditCost: number }
  | { problem: DemoSubmission['error'] & object; retryAfterMs: number | null };

async function submitOnce(ctx: BatchContext, item: DemoItem, bytes: Buffer): Promise<SubmitResult> {
  const boundary = `----demo${Math.random().toString(16).slice(2)}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="targetFormat"\r\n\r\n${item.targetFormat}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${basename(item.file).replace(/["\r\n]/g, '_')}"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const body = Buffer.concat([head, bytes, Buffer.from(`\r\n--${boundary}--\r\n`)]);
  try {
    const res = await ctx.upstream.request({
      method: 'POST',
      path: `/convert?targetFormat=${encodeURIComponent(item.targetFormat)}`,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(body.length), accept: 'application/json' },
      body,
    });
    const text = await ctx.upstream.text(res);
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: reported below as it is
    }
    if (res.statusCode === 202) {
      const accepted = parsed as { id?: unknown; creditCost?: unknown } | null;
      const jobId = typeof accepted?.id === 'string' ? normalizeJobId(accepted.id) : null;
      if (jobId) return { jobId, creditCost: typeof accepted?.creditCost === 'number' ? accepted.creditCost : 0 };
    }
    const problem = isErrorBody(parsed)
      ? { ...parsed, detail: parsed.detail ?? null, status: res.statusCode }
      : { error: ErrorCode.upstreamBadResponse, detail: text.slice(0, 200) || null, status: res.statusCode };
    return { problem, retryAfterMs: parseRetryAfter(res.headers['retry-after'], ctx.clock.now()) };
  } catch (err) {
    return {
      problem: { error: ErrorCode.upstreamUnreachable, detail: err instanceof Error ? err.message : String(err), status: 502 },
      retryAfterMs: null,
    };
  }
}
