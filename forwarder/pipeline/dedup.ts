/**
 * Replay filter (design §4.3): remembers keys for a TTL, bounded by a max entry count.
 *
 * A Map key → insertion id answers "seen?"; a FIFO queue of (key, id, inserted-at) in insertion
 * order says what to drop next. Every insert uses the same TTL, so the oldest entry is always at
 * the head: expiry and cap eviction pop from the head and delete that one key from the Map.
 * The Map is never iterated. (Iterating a V8 Map from its start walks the deleted entries it
 * keeps until a rehash: popping the "oldest" through `keys().next()` cost 13–266 µs per event
 * once the cache was full.) A forgotten key leaves a stale queue slot (its id no longer matches
 * the Map's), skipped when it reaches the head; the queue is compacted when stale slots
 * outnumber live ones, so it never holds more than about twice the live entries.
 *
 * Cost model, pinned by a unit test through `operations`: each insert pushes one slot; each
 * slot is popped once, and moved at most once per compaction, which halves it first. So the
 * amortised work per insert is a small constant, whatever the cap.
 */
export interface DedupStats {
  size: number;
  evictedByCap: number;
  expired: number;
}

/** Queue chunks at the head are released in steps of this many slots. */
const RELEASE_EVERY = 4096;

export class DedupCache {
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  /** key → id of its live queue slot. */
  readonly #ids = new Map<string, number>();
  // The queue: parallel arrays from #head to the end, in insertion order.
  #keys: string[] = [];
  #slotIds: number[] = [];
  #insertedAt: number[] = [];
  #head = 0;
  #nextId = 0;
  #evictedByCap = 0;
  #expired = 0;
  /** Queue slots visited or moved (pop, skip, compaction move): the cost model's unit. */
  #operations = 0;

  constructor(options: { ttlMs: number; maxEntries: number }) {
    if (!(options.ttlMs > 0) || !(options.maxEntries > 0))
      throw new RangeError('ttlMs and maxEntries must be > 0');
    this.#ttlMs = options.ttlMs;
    this.#maxEntries = options.maxEntries;
  }

  /** True when `key` was seen within the TTL (a replay); otherwise records it and returns false. */
  isDuplicate(key: string, nowMs: number): boolean {
    this.#expire(nowMs);
    const id = this.#ids.get(key);
    if (id !== undefined) return true;
    const newId = this.#nextId++;
    this.#ids.set(key, newId);
    this.#keys.push(key);
    this.#slotIds.push(newId);
    this.#insertedAt.push(nowMs);
    this.#operations += 1;
    while (this.#ids.size > this.#maxEntries) {
      if (this.#popHead()) this.#evictedByCap += 1;
    }
    this.#release();
    return false;
  }

  /** Removes `key` (O(1)): the event it stood for was not delivered, so a later copy must pass. */
  forget(key: string): void {
    if (!this.#ids.delete(key)) return;
    // Its queue slot is stale now. Compact once stale slots outnumber live ones (amortised O(1)).
    const slots = this.#keys.length - this.#head;
    if (slots > 64 && slots > 2 * this.#ids.size) this.#compact();
  }

  stats(): DedupStats {
    return { size: this.#ids.size, evictedByCap: this.#evictedByCap, expired: this.#expired };
  }

  /** Queue slots visited or moved since construction (cost model; see the class comment). */
  get operations(): number {
    return this.#operations;
  }

  /** Queue slots held (live + stale), for the structure's bound. */
  get queuedSlots(): number {
    return this.#keys.length - this.#head;
  }

  #expire(nowMs: number): void {
    const cutoff = nowMs - this.#ttlMs;
    while (this.#head < this.#keys.length && (this.#insertedAt[this.#head] as number) <= cutoff) {
      if (this.#popHead()) this.#expired += 1;
    }
  }

  /** Pops the head slot; true when it was live (its key is removed from the Map). */
  #popHead(): boolean {
    const i = this.#head;
    const key = this.#keys[i] as string;
    const live = this.#ids.get(key) === this.#slotIds[i];
    if (live) this.#ids.delete(key);
    this.#keys[i] = '';
    this.#head = i + 1;
    this.#operations += 1;
    return live;
  }

  /** Drops the consumed prefix once it is large and at least half of the arrays. */
  #release(): void {
    const head = this.#head;
    if (head < RELEASE_EVERY || head * 2 < this.#keys.length) return;
    this.#keys = this.#keys.slice(head);
    this.#slotIds = this.#slotIds.slice(head);
    this.#insertedAt = this.#insertedAt.slice(head);
    this.#operations += this.#keys.length;
    this.#head = 0;
  }

  /** Keeps only the live slots, in order. */
  #compact(): void {
    const keys: string[] = [];
    const slotIds: number[] = [];
    const insertedAt: number[] = [];
    for (let i = this.#head; i < this.#keys.length; i += 1) {
      const key = this.#keys[i] as string;
      const id = this.#slotIds[i] as number;
      if (this.#ids.get(key) !== id) continue;
      keys.push(key);
      slotIds.push(id);
      insertedAt.push(this.#insertedAt[i] as number);
    }
    this.#operations += this.#keys.length - this.#head;
    this.#keys = keys;
    this.#slotIds = slotIds;
    this.#insertedAt = insertedAt;
    this.#head = 0;
  }
}
