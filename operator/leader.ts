/**
 * Leader election on a coordination.k8s.io/v1 Lease, with client-go's algorithm and timings
 * (leaseDuration 15 s, renewDeadline 10 s, retryPeriod 2 s by default):
 * - a candidate takes the Lease when it is free, released, or not renewed for leaseDuration as
 *   measured on the candidate's own clock since it last saw the record change (no clock-skew trust);
 * - every write carries the resourceVersion read, so two candidates cannot both win (409);
 * - the leader renews every retryPeriod and gives up leadership at once (onStoppedLeading, before
 *   anyone else can take over) when it has not renewed for renewDeadline (< leaseDuration);
 * - release() on shutdown empties holderIdentity so a standby takes over without waiting.
 */
import type { V1Lease } from '@kubernetes/client-node';
import { KubeError } from './kube/errors.ts';
import { type Cancel, realTimers, type Timers } from './kube/timers.ts';

export interface LeaseStore {
  get(): Promise<V1Lease | undefined>;
  create(lease: V1Lease): Promise<V1Lease>;
  /** Must fail with a Conflict when lease.metadata.resourceVersion is stale. */
  replace(lease: V1Lease): Promise<V1Lease>;
}

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  timers?: Timers;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  onError?: (err: unknown) => void;
}

function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function toMs(t: unknown): number | undefined {
  if (t instanceof Date) return t.getTime();
  if (typeof t === 'string') {
    const v = Date.parse(t);
    return Number.isNaN(v) ? undefined : v;
  }
  return undefined;
}

export class LeaderElector {
  readonly identity: string;
  readonly #store: LeaseStore;
  readonly #o: Required<Omit<LeaderElectionOptions, 'onError'>> & Pick<LeaderElectionOptions, 'onError'>;
  readonly #timers: Timers;
  #leading = false;
  #running = false;
  #lastRenewMs = 0;
  /** The record we last saw and when (our clock) it last changed. */
  #observed: { key: string; atMs: number } | undefined;
  #lease: V1Lease | undefined;
  #cancelTick: Cancel | undefined;
  #cancelDeadline: Cancel | undefined;
  #tickInFlight: Promise<void> | undefined;

  constructor(store: LeaseStore, opts: LeaderElectionOptions) {
    this.#store = store;
    this.identity = opts.identity;
    this.#timers = opts.timers ?? realTimers;
    this.#o = {
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      timers: this.#timers,
      ...opts,
    };
    if (
      !(this.#o.leaseDurationMs > this.#o.renewDeadlineMs && this.#o.renewDeadlineMs > this.#o.retryPeriodMs)
    ) {
      throw new Error('leader election: need leaseDuration > renewDeadline > retryPeriod');
    }
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule(0);
  }

  /**
   * Stops electing; if leading, stops leading and (unless `release` is false) releases the Lease
   * so a standby takes over at once. Pass false when work of this term may still be in flight:
   * the Lease then expires normally and nobody else acts before that.
   */
  async stop(release = true): Promise<void> {
    this.#running = false;
    this.#cancelTick?.();
    await this.#tickInFlight;
    this.#cancelDeadline?.();
    this.#loseLeadership();
    if (release && this.#lease !== undefined) await this.#release();
  }

  #schedule(ms: number): void {
    this.#cancelTick?.();
    this.#cancelTick = this.#timers.after(ms, () => {
      this.#tickInFlight = this.#tick().finally(() => {
        this.#tickInFlight = undefined;
      });
    });
  }

  async #tick(): Promise<void> {
    if (!this.#running) return;
    let ok = false;
    const started = this.#timers.now();
    try {
      ok = await this.#withTimeout(this.#tryAcquireOrRenew(), this.#o.renewDeadlineMs);
    } catch (err) {
      this.#o.onError?.(err);
    }
    if (!this.#running) return;
    const now = this.#timers.now();
    if (ok) {
      // Count from when the attempt started: the record says renewTime = started.
      this.#lastRenewMs = started;
      this.#armDeadline();
      if (!this.#leading) {
        this.#leading = true;
        this.#o.onStartedLeading();
      }
    } else if (this.#leading && now - this.#lastRenewMs >= this.#o.renewDeadlineMs) {
      this.#loseLeadership();
    }
    // While leading, never let a renewal attempt start later than the renew deadline allows.
    if (this.#leading) {
      const left = this.#lastRenewMs + this.#o.renewDeadlineMs - this.#timers.now();
      this.#schedule(Math.max(0, Math.min(this.#o.retryPeriodMs, left)));
    } else {
      this.#schedule(this.#o.retryPeriodMs);
    }
  }

  /** Independent of the tick: a hung API call cannot keep us acting past the renew deadline. */
  #armDeadline(): void {
    this.#cancelDeadline?.();
    const left = this.#lastRenewMs + this.#o.renewDeadlineMs - this.#timers.now();
    this.#cancelDeadline = this.#timers.after(left, () => this.#loseLeadership());
  }

  async #withTimeout(p: Promise<boolean>, ms: number): Promise<boolean> {
    let cancel: Cancel | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      cancel = this.#timers.after(ms, () => resolve(false));
    });
    try {
      return await Promise.race([p, timeout]);
    } finally {
      cancel?.();
    }
  }

  #loseLeadership(): void {
    this.#cancelDeadline?.();
    if (!this.#leading) return;
    this.#leading = false;
    this.#o.onStoppedLeading();
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const now = this.#timers.now();
    const existing = await this.#store.get();
    const durationS = Math.ceil(this.#o.leaseDurationMs / 1000);
    if (!existing) {
      const created = await this.#tryWrite(() =>
        this.#store.create({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.#o.name, namespace: this.#o.namespace },
          spec: {
            holderIdentity: this.identity,
            leaseDurationSeconds: durationS,
            acquireTime: microTime(now) as unknown as Date,
            renewTime: microTime(now) as unknown as Date,
            leaseTransitions: 0,
          },
        }),
      );
      if (created) this.#lease = created;
      return created !== undefined;
    }
    const spec = existing.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const recordKey = `${holder}|${String(toMs(spec.renewTime))}|${existing.metadata?.resourceVersion}`;
    if (this.#observed?.key !== recordKey) this.#observed = { key: recordKey, atMs: now };
    const expiresAt = this.#observed.atMs + (spec.leaseDurationSeconds ?? durationS) * 1000;
    if (holder !== '' && holder !== this.identity && now < expiresAt) return false;
    const takingOver = holder !== this.identity;
    const next: V1Lease = {
      ...existing,
      spec: {
        ...spec,
        holderIdentity: this.identity,
        leaseDurationSeconds: durationS,
        renewTime: microTime(now) as unknown as Date,
        acquireTime: (takingOver ? microTime(now) : spec.acquireTime) as unknown as Date,
        leaseTransitions: (spec.leaseTransitions ?? 0) + (takingOver && holder !== '' ? 1 : 0),
      },
    };
    const written = await this.#tryWrite(() => this.#store.replace(next));
    if (written) this.#lease = written;
    return written !== undefined;
  }

  /** A Conflict (someone else wrote first) is a lost race, not an error. */
  async #tryWrite(write: () => Promise<V1Lease>): Promise<V1Lease | undefined> {
    try {
      return await write();
    } catch (err) {
      if (err instanceof KubeError && err.kind === 'Conflict') return undefined;
      throw err;
    }
  }

  async #release(): Promise<void> {
    try {
      const cur = await this.#store.get();
      if (!cur || cur.spec?.holderIdentity !== this.identity) return;
      await this.#store.replace({
        ...cur,
        spec: {
          ...cur.spec,
          holderIdentity: '',
          leaseDurationSeconds: 1,
          renewTime: microTime(this.#timers.now()) as unknown as Date,
        },
      });
    } catch (err) {
      this.#o.onError?.(err);
    }
  }
}
