/**
 * Batch events → incoming webhooks (`NOTIFY_WEBHOOK_URL`, comma-separated).
 *
 * - The body is what Slack's and Mattermost's incoming webhooks both accept: `text` (the whole message, so any
 *   receiver shows something), plus one `attachments` entry with `fields`, and an `event` object for scripts.
 * - It carries counts, the batch's name and id, job ids and error codes: never the API key, never file contents.
 *   With `PUBLIC_URL` it links to the batch page.
 * - At most one message per event kind per batch per minute: a flapping batch must not flood a channel. Events
 *   over the limit are dropped (the next event of that kind, a minute on, carries the newer counts).
 * - Each receiver gets up to 5 attempts: network errors, 408, 429 and 5xx are retried after 1, 2, 4, 8 s
 *   (a 429's Retry-After wins, up to 60 s); other answers are final. Receivers are independent.
 */
import type { Clock } from '../tracker/clock.ts';
import type { BatchEvent, BatchEventKind } from '../history/events.ts';

export const NOTIFY_POLICY = {
  rateWindowMs: 60_000,
  attempts: 5,
  backoffBaseMs: 1_000,
  maxRetryAfterMs: 60_000,
  requestTimeoutMs: 10_000,
} as const;

export interface NotifierOptions {
  urls: readonly string[];
  /** The dashboard's public address (links in messages); null: no links. */
  publicUrl: string | null;
  clock: Clock;
  fetch?: typeof fetch;
  /** Failures are logged here without the URL's query (some webhook URLs carry a token in it). */
  log?: (message: string) => void;
}

export interface WebhookMessage {
  text: string;
  attachments: { fallback: string; color: string; title: string; title_link?: string; fields: { title: string; value: string; short: boolean }[] }[];
  event: { kind: BatchEventKind; batchId: string; at: string; url?: string };
}

export type Notifier = ReturnType<typeof createNotifier>;

export function createNotifier(opts: NotifierOptions) {
  const doFetch = opts.fetch ?? fetch;
  const lastSent = new Map<string, number>();
  const pending = new Set<Promise<void>>();
  let closed = false;

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => opts.clock.setTimeout(resolve, ms));
  }

  async function deliver(url: string, body: string): Promise<boolean> {
    for (let attempt = 1; attempt <= NOTIFY_POLICY.attempts; attempt++) {
      let retryAfterMs: number | null = null;
      try {
        const response = await doFetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          redirect: 'error',
          signal: AbortSignal.timeout(NOTIFY_POLICY.requestTimeoutMs),
        });
        await response.body?.cancel();
        if (response.ok) return true;
        const retriable = response.status === 408 || response.status === 429 || response.status >= 500;
        if (!retriable) {
          opts.log?.(`webhook ${redact(url)} refused the message (${response.status}); not retried`);
          return false;
        }
        const header = Number(response.headers.get('retry-after'));
        if (Number.isFinite(header) && header > 0) retryAfterMs = Math.min(header * 1000, NOTIFY_POLICY.maxRetryAfterMs);
      } catch {
        // Network error or timeout: retried like a 5xx.
      }
      if (attempt === NOTIFY_POLICY.attempts || closed) break;
      await sleep(retryAfterMs ?? NOTIFY_POLICY.backoffBaseMs * 2 ** (attempt - 1));
    }
    opts.log?.(`webhook ${redact(url)} did not take the message after ${NOTIFY_POLICY.attempts} attempts`);
    return false;
  }

  return {
    /** Sends `event` to every receiver unless one of its kind for its batch went out within the last minute. */
    notify(event: BatchEvent): 'sent' | 'rate_limited' | 'no_receivers' {
      if (opts.urls.length === 0 || closed) return 'no_receivers';
      const key = `${event.kind}/${event.batchId}`;
      const now = opts.clock.now();
      const last = lastSent.get(key);
      if (last !== undefined && now - last < NOTIFY_POLICY.rateWindowMs) return 'rate_limited';
      lastSent.set(key, now);
      const body = JSON.stringify(webhookMessage(event, opts.publicUrl));
      for (const url of opts.urls) {
        const p = deliver(url, body).then(() => undefined);
        pending.add(p);
        void p.finally(() => pending.delete(p));
      }
      return 'sent';
    },
    /** Resolves when every delivery started so far has ended (tests). */
    async settled(): Promise<void> {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    close(): void {
      closed = true;
    },
  };
}

const TITLES: Record<BatchEventKind, string> = {
  batch_finished: 'Batch finished',
  first_failure: 'First failure in batch',
  outputs_expiring: 'Outputs expiring soon',
};

const COLORS: Record<BatchEventKind, string> = {
  batch_finished: '#16a34a',
  first_failure: '#dc2626',
  outputs_expiring: '#d97706',
};

export function webhookMessage(event: BatchEvent, publicUrl: string | null): WebhookMessage {
  const url = publicUrl ? `${publicUrl.replace(/\/+$/, '')}/batches/${encodeURIComponent(event.batchId)}` : undefined;
  const c = event.counts;
  const summary = `${c.Succeeded ?? 0} succeeded, ${c.Failed ?? 0} failed, ${c.Canceled ?? 0} canceled of ${event.jobCount}`;
  let sentence: string;
  const fields: WebhookMessage['attachments'][number]['fields'] = [
    { title: 'Batch', value: event.batchName, short: true },
    { title: 'Jobs', value: summary, short: true },
  ];
  switch (event.kind) {
    case 'batch_finished':
      sentence = `Batch "${event.batchName}" finished: ${summary}.`;
      break;
    case 'first_failure':
      sentence = `Batch "${event.batchName}" has its first failed job${event.failure?.code ? ` (${event.failure.code})` : ''}.`;
      if (event.failure) fields.push({ title: 'Job', value: event.failure.jobId, short: true }, { title: 'Error', value: event.failure.code ?? 'unknown', short: true });
      break;
    case 'outputs_expiring': {
      const e = event.expiring!;
      sentence = `Batch "${event.batchName}": ${e.count} output${e.count === 1 ? '' : 's'} will be deleted within 10 minutes (first at ${new Date(e.earliestAt).toISOString()}), neither downloaded nor kept.`;
      fields.push({ title: 'Expiring', value: String(e.count), short: true }, { title: 'First deletion', value: new Date(e.earliestAt).toISOString(), short: true });
      break;
    }
  }
  const text = url ? `${sentence} <${url}|Open the batch>` : sentence;
  return {
    text,
    attachments: [{ fallback: sentence, color: COLORS[event.kind], title: TITLES[event.kind], ...(url ? { title_link: url } : {}), fields }],
    event: { kind: event.kind, batchId: event.batchId, at: new Date(event.at).toISOString(), ...(url ? { url } : {}) },
  };
}

/** A webhook URL without its path and query: Slack's carry their secret in the path. */
function redact(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}
