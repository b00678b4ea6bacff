// The DedupCache as it was before the queue (commit 4a5e016), kept verbatim for bench/dedup/cost.ts.
/**
 * Replay filter (design §4.3): remembers keys for a TTL, bounded by a max entry count. A Map keeps
 * insertion order, and every insert uses the same TTL, so the oldest entry is always first:
 * expiry and cap eviction both pop from the front, O(1) amortised per call, no scans.
 */
export interface DedupStats {
  size: number;
  evictedByCap: number;
  expired: number;
}

export class LegacyDedupCache {
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #expiresAt = new Map<string, number>();
  #evictedByCap = 0;
  #expired = 0;

  constructor(options: { ttlMs: number; maxEntries: number }) {
    if (!(options.ttlMs > 0) || !(options.maxEntries > 0))
      throw new RangeError('ttlMs and maxEntries must be > 0');
    this.#ttlMs = options.ttlMs;
    this.#maxEntries = options.maxEntries;
  }

  /** True when `key` was seen within the TTL (a replay); otherwise records it and returns false. */
  isDuplicate(key: string, nowMs: number): boolean {
    this.#expire(nowMs);
    const until = this.#expiresAt.get(key);
    if (until !== undefined && until > nowMs) return true;
    this.#expiresAt.set(key, nowMs + this.#ttlMs);
    while (this.#expiresAt.size > this.#maxEntries) {
      const oldest = this.#expiresAt.keys().next().value as string;
      this.#expiresAt.delete(oldest);
      this.#evictedByCap += 1;
    }
    return false;
  }

  /** Removes `key` (O(1)): the event it stood for was not delivered, so a later copy must pass. */
  forget(key: string): void {
    this.#expiresAt.delete(key);
  }

  stats(): DedupStats {
    return { size: this.#expiresAt.size, evictedByCap: this.#evictedByCap, expired: this.#expired };
  }

  #expire(nowMs: number): void {
    for (const [key, until] of this.#expiresAt) {
      if (until > nowMs) return;
      this.#expiresAt.delete(key);
      this.#expired += 1;
    }
  }
}
