// Fixed-window counters for login tries, per key (an account or an address), bounded in memory.
// Under a cluster each worker keeps a copy, kept in step through the primary (server/cluster.ts):
// every change is announced with onUpdate and another worker's change arrives through apply.
import { BoundedMap } from './bounded-map.js';

export interface LimitRule {
  limit: number;
  windowMs: number;
}

export interface Bucket {
  count: number;
  resetAt: number;
}

export class RateLimiter {
  private readonly buckets: BoundedMap<string, Bucket>;
  private readonly listeners: ((key: string, bucket: Bucket | null) => void)[] = [];

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
    let bucket = this.buckets.get(key);
    if (!bucket || bucket.resetAt <= now) {
      bucket = { count: 1, resetAt: now + this.rule.windowMs };
      this.buckets.set(key, bucket);
    } else bucket.count++;
    this.announce(key, bucket);
  }

  reset(key: string): void {
    if (this.buckets.get(key) === undefined) return;
    this.buckets.delete(key);
    this.announce(key, null);
  }

  /** Calls `listener` with each change made here (not with those that arrive through apply). */
  onUpdate(listener: (key: string, bucket: Bucket | null) => void): void {
    this.listeners.push(listener);
  }

  /** Takes another worker's change: its bucket for `key`, or null when it was reset. */
  apply(key: string, bucket: Bucket | null): void {
    if (bucket === null) this.buckets.delete(key);
    else this.buckets.set(key, { count: bucket.count, resetAt: bucket.resetAt });
  }

  private announce(key: string, bucket: Bucket | null): void {
    for (const listener of this.listeners) listener(key, bucket && { ...bucket });
  }

  get size(): number {
    return this.buckets.size;
  }
}
