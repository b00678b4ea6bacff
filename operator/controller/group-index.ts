/**
 * Objects grouped by a key derived from each (e.g. forwarder pods by the AlpacaForwarder named in
 * their instance label), kept beside an informer cache by its upsert/delete handlers, so "the
 * pods of this resource" is a map lookup instead of a scan of every cached pod (1,000 resources:
 * a scan per reconcile made the first pass O(N²)). An object whose group key changes moves.
 */
export class GroupIndex<T> {
  readonly #keyOf: (o: T) => string | undefined;
  readonly #groupOf: (o: T) => string | undefined;
  readonly #groups = new Map<string, Map<string, T>>();
  /** Object key → the group it is filed under. */
  readonly #filed = new Map<string, string>();

  constructor(keyOf: (o: T) => string | undefined, groupOf: (o: T) => string | undefined) {
    this.#keyOf = keyOf;
    this.#groupOf = groupOf;
  }

  upsert(o: T): void {
    const key = this.#keyOf(o);
    if (key === undefined) return;
    const group = this.#groupOf(o);
    const before = this.#filed.get(key);
    if (before !== undefined && before !== group) this.#remove(key, before);
    if (group === undefined) return;
    let members = this.#groups.get(group);
    if (!members) {
      members = new Map();
      this.#groups.set(group, members);
    }
    members.set(key, o);
    this.#filed.set(key, group);
  }

  delete(o: T): void {
    const key = this.#keyOf(o);
    if (key === undefined) return;
    const before = this.#filed.get(key);
    if (before !== undefined) this.#remove(key, before);
  }

  /** The members of one group (a fresh array). */
  get(group: string): T[] {
    const members = this.#groups.get(group);
    return members ? [...members.values()] : [];
  }

  get size(): number {
    return this.#filed.size;
  }

  #remove(key: string, group: string): void {
    const members = this.#groups.get(group);
    members?.delete(key);
    if (members?.size === 0) this.#groups.delete(group);
    this.#filed.delete(key);
  }
}
