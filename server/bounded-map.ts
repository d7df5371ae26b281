// A Map that keeps at most `capacity` entries, dropping the least recently used: per-viewer state
// (settings, captured cookies) and rate-limit buckets must not grow with the number of visitors.
export class BoundedMap<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly capacity: number) {}

  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as K;
      this.entries.delete(oldest);
    }
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}

/** Deletes the entries whose value has `expired`; returns how many went (the in-memory stores' sweeps). */
export function deleteExpired<K, V>(map: Map<K, V>, expired: (value: V) => boolean): number {
  let removed = 0;
  for (const [key, value] of map) {
    if (expired(value)) {
      map.delete(key);
      removed++;
    }
  }
  return removed;
}
