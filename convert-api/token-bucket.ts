import type { Clock } from './options.ts';

interface Bucket {
  tokens: number;
  at: number;
}

/** Token buckets per (key, job) for status polling: capacity `burst`, refilled at `ratePerSecond`. */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly burst: number,
    private readonly ratePerSecond: number,
    private readonly clock: Clock,
  ) {}

  private refill(key: string): Bucket {
    const now = this.clock.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    const elapsed = Math.max(0, now - bucket.at) / 1000;
    bucket.tokens = Math.min(this.burst, bucket.tokens + elapsed * this.ratePerSecond);
    bucket.at = now;
    this.buckets.set(key, bucket);
    return bucket;
  }

  /** Spends one token, or returns the whole seconds (≥ 1) until one is available; a refusal spends nothing. */
  take(key: string): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const bucket = this.refill(key);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    const seconds = (1 - bucket.tokens) / this.ratePerSecond;
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(seconds)) };
  }

  /** Full buckets carry no information: drop them so the map does not grow with every job ever polled. */
  prune(): void {
    for (const key of [...this.buckets.keys()]) {
      if (this.refill(key).tokens >= this.burst) this.buckets.delete(key);
    }
  }

  forgetJob(jobId: string): void {
    for (const key of [...this.buckets.keys()]) if (key.endsWith(`:${jobId}`)) this.buckets.delete(key);
  }
}
