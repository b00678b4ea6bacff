/**
 * Work queue keyed by namespace/name, modelled on client-go's workqueue as used by
 * controller-runtime: a key is queued once however often it is added; a key added while it is
 * being processed is processed once more afterwards; one key is never processed by two workers
 * at once; failures retry with per-key exponential backoff (reset on success); a handler may ask
 * to be called again after a delay (requeueAfter; the earliest pending delay wins). At most
 * `workers` keys are processed at a time. stop() aborts in-flight work (leadership lost);
 * drain() lets it finish (shutdown).
 */
import { exponentialDelayMs } from '../../lib/time/backoff.ts';
import { type Cancel, realTimers, type Timers } from '../kube/timers.ts';

export interface HandlerResult {
  /** Process the key again after this many ms (unless it is added earlier). */
  requeueAfterMs?: number;
}

export type KeyHandler = (key: string, signal: AbortSignal) => Promise<HandlerResult | undefined>;

export interface QueueOptions {
  workers?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  timers?: Timers;
  /** Called when a handler throws, with the delay before the retry. */
  onError?: (key: string, err: unknown, retryInMs: number) => void;
  onDepth?: (depth: number) => void;
}

export class WorkQueue {
  readonly #handler: KeyHandler;
  readonly #workers: number;
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #timers: Timers;
  readonly #onError: QueueOptions['onError'];
  readonly #onDepth: QueueOptions['onDepth'];
  /** Keys ready to run, in order (a Set keeps insertion order and deduplicates). */
  readonly #ready = new Set<string>();
  readonly #processing = new Set<string>();
  /** Keys added while processing: run once more after. */
  readonly #dirty = new Set<string>();
  readonly #delayed = new Map<string, { at: number; cancel: Cancel }>();
  readonly #failures = new Map<string, number>();
  readonly #inFlight = new Set<Promise<void>>();
  #abort = new AbortController();
  #accepting = true;
  #idleWaiters: Array<() => void> = [];

  constructor(handler: KeyHandler, opts: QueueOptions = {}) {
    this.#handler = handler;
    this.#workers = Math.max(1, opts.workers ?? 2);
    this.#baseMs = opts.backoffBaseMs ?? 1000;
    this.#maxMs = opts.backoffMaxMs ?? 300_000;
    this.#timers = opts.timers ?? realTimers;
    this.#onError = opts.onError;
    this.#onDepth = opts.onDepth;
  }

  /** Keys waiting to run now (not counting delayed or in-flight ones). */
  get depth(): number {
    return this.#ready.size;
  }

  get processingCount(): number {
    return this.#processing.size;
  }

  /** Number of failures in a row for a key (0 after a success). */
  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  add(key: string): void {
    if (!this.#accepting) return;
    if (this.#processing.has(key)) {
      this.#dirty.add(key);
      return;
    }
    if (this.#ready.has(key)) return;
    this.#ready.add(key);
    this.#onDepth?.(this.#ready.size);
    this.#pump();
  }

  addAfter(key: string, ms: number): void {
    if (!this.#accepting) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.#timers.now() + ms;
    const existing = this.#delayed.get(key);
    if (existing && existing.at <= at) return;
    existing?.cancel();
    const cancel = this.#timers.after(ms, () => {
      const cur = this.#delayed.get(key);
      if (cur?.cancel === cancel) this.#delayed.delete(key);
      this.add(key);
    });
    this.#delayed.set(key, { at, cancel });
  }

  /** Forget a key entirely (its object was deleted): pending retries and backoff are dropped. */
  forget(key: string): void {
    this.#failures.delete(key);
    this.#delayed.get(key)?.cancel();
    this.#delayed.delete(key);
  }

  /** Resolves when nothing is ready or in flight (delayed keys may remain). */
  whenIdle(): Promise<void> {
    if (this.#ready.size === 0 && this.#processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stop taking work, let in-flight handlers finish, drop everything else. */
  async drain(): Promise<void> {
    this.#close();
    await Promise.allSettled([...this.#inFlight]);
  }

  /** Stop at once: abort in-flight handlers (their signal fires) and drop everything. */
  async stop(): Promise<void> {
    this.#close();
    this.#abort.abort(new Error('work queue stopped'));
    await Promise.allSettled([...this.#inFlight]);
  }

  #close(): void {
    this.#accepting = false;
    this.#ready.clear();
    this.#dirty.clear();
    for (const d of this.#delayed.values()) d.cancel();
    this.#delayed.clear();
    this.#onDepth?.(0);
  }

  #pump(): void {
    while (this.#accepting && this.#processing.size < this.#workers) {
      let next: string | undefined;
      for (const k of this.#ready) {
        if (!this.#processing.has(k)) {
          next = k;
          break;
        }
      }
      if (next === undefined) break;
      this.#ready.delete(next);
      this.#onDepth?.(this.#ready.size);
      this.#processing.add(next);
      const p = this.#run(next);
      this.#inFlight.add(p);
      void p.finally(() => this.#inFlight.delete(p));
    }
  }

  async #run(key: string): Promise<void> {
    let result: HandlerResult | undefined;
    let failed = false;
    let error: unknown;
    try {
      result = await this.#handler(key, this.#abort.signal);
    } catch (err) {
      failed = true;
      error = err;
    }
    this.#processing.delete(key);
    if (this.#accepting) {
      if (failed) {
        const n = (this.#failures.get(key) ?? 0) + 1;
        this.#failures.set(key, n);
        // A server that said when to come back (429/503 Retry-After) is not asked earlier.
        const retryAfter = (error as { retryAfterSeconds?: unknown } | null)?.retryAfterSeconds;
        const serverMs = typeof retryAfter === 'number' ? retryAfter * 1000 : 0;
        const delay = Math.max(
          1,
          exponentialDelayMs(n, this.#baseMs, this.#maxMs),
          Math.min(serverMs, this.#maxMs),
        );
        this.#onError?.(key, error, delay);
        this.addAfter(key, delay);
      } else {
        this.#failures.delete(key);
        if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
      }
      if (this.#dirty.delete(key)) this.add(key);
    }
    this.#pump();
    if (this.#ready.size === 0 && this.#processing.size === 0) {
      for (const w of this.#idleWaiters.splice(0)) w();
    }
  }
}
