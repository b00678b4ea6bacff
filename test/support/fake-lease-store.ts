/** An in-memory LeaseStore with the API server's optimistic concurrency and fault injection. */
import {
  LeaseConflictError,
  type LeaseRecord,
  type LeaseSpec,
  type LeaseStore,
  LeaseStoreError,
} from '../../lib/lease/store.ts';
import type { ManualClock } from './manual-clock.ts';

export type Op = 'get' | 'create' | 'replace';

export class FakeLeaseStore implements LeaseStore {
  record: LeaseRecord | undefined;
  readonly writes: LeaseRecord[] = [];
  /** Every call, in order. */
  readonly ops: Op[] = [];
  /** Decides the fate of each call: an error code to fail it, 'hang' to never answer. */
  fault: ((op: Op) => string | 'hang' | undefined) | undefined;
  /** Runs between a caller's get and its write (to let another writer win the race). */
  beforeWrite: (() => void) | undefined;
  #rv = 0;

  async get(): Promise<LeaseRecord | undefined> {
    await this.#gate('get');
    return this.record ? { ...this.record } : undefined;
  }

  async create(spec: LeaseSpec): Promise<LeaseRecord> {
    await this.#gate('create');
    this.#race();
    if (this.record) throw new LeaseConflictError('already exists');
    return this.#write(spec);
  }

  async replace(resourceVersion: string, spec: LeaseSpec): Promise<LeaseRecord> {
    await this.#gate('replace');
    this.#race();
    if (!this.record || this.record.resourceVersion !== resourceVersion)
      throw new LeaseConflictError('stale resourceVersion');
    return this.#write(spec);
  }

  /** Another process writes the Lease directly. */
  writeAs(spec: LeaseSpec): LeaseRecord {
    return this.#write(spec);
  }

  /** Another process (`holder`) holds a live 15 s Lease renewed at `renewTimeMs`. */
  writeHeldBy(holder: string, renewTimeMs: number, over: Partial<LeaseSpec> = {}): LeaseRecord {
    return this.#write({
      holderIdentity: holder,
      leaseDurationSeconds: 15,
      acquireTimeMs: 0,
      renewTimeMs,
      leaseTransitions: 0,
      ...over,
    });
  }

  #write(spec: LeaseSpec): LeaseRecord {
    this.#rv += 1;
    this.record = { ...spec, resourceVersion: String(this.#rv) };
    this.writes.push({ ...this.record });
    return { ...this.record };
  }

  #race(): void {
    const hook = this.beforeWrite;
    this.beforeWrite = undefined;
    hook?.();
  }

  async #gate(op: Op): Promise<void> {
    this.ops.push(op);
    const f = this.fault?.(op);
    if (f === 'hang') await new Promise(() => {});
    if (f !== undefined) throw new LeaseStoreError(f, `${op} failed: ${f}`);
  }
}

/** Lets pending promise callbacks run (the store answers asynchronously). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
}

/** Advances the manual clock in 100 ms steps, letting the store's answers arrive in between. */
export function clockRunner(clock: ManualClock): (ms: number) => Promise<void> {
  return async (ms) => {
    await settle();
    clock.advance(0);
    await settle();
    for (let t = 0; t < ms; t += 100) {
      clock.advance(Math.min(100, ms - t));
      await settle();
    }
  };
}
