// Fixed-window counters for login tries, per key (an account or an address), bounded in memory.
import { BoundedMap } from './bounded-map.js';

export interface LimitRule {
  limit: number;
  windowMs: number;
}

interface Bucket {
  count: number;
  resetAt: number;
}

export class RateLimiter {
  private readonly buckets: BoundedMap<string, Bucket>;

  constructor(
    private readonly rule: LimitRule,
    capacity = 10_000,
  ) {
    this.buckets = new BoundedMap(capacity);
  }

  /** Seconds until `key` may try again, or 0 when it is under its limit. */
  retryAfter(key: string, now = Date.now()): number {
    const bucket = this.buckets.get(key);
    if (!bucket || bucket.resetAt <= now || bucket.count < this.rule.limit) return 0;
    return Math.ceil((bucket.resetAt - now) / 1000);
  }

  hit(key: string, now = Date.now()): void {
    const bucket = this.buckets.get(key);
    if (!bucket || bucket.resetAt <= now) this.buckets.set(key, { count: 1, resetAt: now + this.rule.windowMs });
    else bucket.count++;
  }

  reset(key: string): void {
    this.buckets.delete(key);
  }

  get size(): number {
    return this.buckets.size;
  }
}
