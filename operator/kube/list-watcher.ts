/**
 * List-then-watch for one kind of object (one namespace or all): keeps a cache keyed by
 * namespace/name and reports upserts and deletes. Restarts the watch on any error or close with
 * backoff, relists on 410 Gone, restarts when nothing (not even a bookmark) arrives for
 * `watchdogMs`, and relists every `resyncMs` as a level-based safety net. The API calls are
 * behind WatchSource so the logic is tested with a scripted fake.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { exponentialDelayMs } from '../../lib/time/backoff.ts';
import { type Cancel, realTimers, type Timers } from './timers.ts';

export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent<T> {
  type: WatchEventType;
  object: T;
}

export interface WatchHandle {
  stop(): void;
}

export interface WatchSource<T> {
  list(): Promise<ListResult<T>>;
  /** Starts a watch from resourceVersion; onDone is called once when it ends (err undefined on a clean close). */
  watch(
    resourceVersion: string,
    onEvent: (e: WatchEvent<T>) => void,
    onDone: (err?: unknown) => void,
  ): Promise<WatchHandle>;
}

export type RestartReason = 'error' | 'closed' | 'gone' | 'watchdog' | 'resync' | 'list_error';

export interface ListWatcherOptions {
  /** Names this watcher in logs and metrics, e.g. "deployments". */
  name: string;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  watchdogMs?: number;
  resyncMs?: number;
  timers?: Timers;
  onRestart?: (reason: RestartReason, err?: unknown) => void;
}

export interface ListWatcherHandlers<T> {
  onUpsert(obj: T): void;
  onDelete(obj: T): void;
}

export function objectKey(obj: KubernetesObject): string {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? '';
  return ns ? `${ns}/${name}` : name;
}

function errorCode(err: unknown): number | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const e = err as { statusCode?: unknown; code?: unknown; status?: unknown };
  for (const v of [e.statusCode, e.code, e.status]) if (typeof v === 'number') return v;
  return undefined;
}

export class ListWatcher<T extends KubernetesObject> {
  readonly name: string;
  readonly #source: WatchSource<T>;
  readonly #handlers: ListWatcherHandlers<T>;
  readonly #timers: Timers;
  readonly #opts: Required<Omit<ListWatcherOptions, 'timers' | 'onRestart' | 'name'>>;
  readonly #onRestart: ListWatcherOptions['onRestart'];
  readonly #cache = new Map<string, T>();
  #resourceVersion = '';
  #attempt = 0;
  #running = false;
  /** Increments on every (re)start so late callbacks of an old watch are ignored. */
  #generation = 0;
  #watch: WatchHandle | undefined;
  #cancelRetry: Cancel | undefined;
  #cancelWatchdog: Cancel | undefined;
  #cancelResync: Cancel | undefined;
  #synced = false;
  #syncedWaiters: Array<() => void> = [];

  constructor(source: WatchSource<T>, handlers: ListWatcherHandlers<T>, opts: ListWatcherOptions) {
    this.name = opts.name;
    this.#source = source;
    this.#handlers = handlers;
    this.#timers = opts.timers ?? realTimers;
    this.#onRestart = opts.onRestart;
    this.#opts = {
      backoffBaseMs: opts.backoffBaseMs ?? 500,
      backoffMaxMs: opts.backoffMaxMs ?? 30_000,
      watchdogMs: opts.watchdogMs ?? 120_000,
      resyncMs: opts.resyncMs ?? 600_000,
    };
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#scheduleResync();
    this.#connect();
  }

  stop(): void {
    this.#running = false;
    this.#generation++;
    this.#cancelRetry?.();
    this.#cancelWatchdog?.();
    this.#cancelResync?.();
    this.#stopWatch();
  }

  get synced(): boolean {
    return this.#synced;
  }

  /** Resolves after the first successful list. */
  waitForSync(): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise((resolve) => this.#syncedWaiters.push(resolve));
  }

  get(key: string): T | undefined {
    return this.#cache.get(key);
  }

  list(): T[] {
    return [...this.#cache.values()];
  }

  get resourceVersion(): string {
    return this.#resourceVersion;
  }

  #stopWatch(): void {
    const w = this.#watch;
    this.#watch = undefined;
    try {
      w?.stop();
    } catch {
      // a watch that is already gone cannot be stopped twice
    }
  }

  #restart(reason: RestartReason, err?: unknown): void {
    if (!this.#running) return;
    this.#generation++;
    this.#cancelWatchdog?.();
    this.#stopWatch();
    if (reason === 'gone' || reason === 'resync') this.#resourceVersion = '';
    this.#onRestart?.(reason, err);
    const immediate = reason === 'gone' || reason === 'resync' || reason === 'watchdog';
    const delay = immediate
      ? 0
      : exponentialDelayMs(this.#attempt, this.#opts.backoffBaseMs, this.#opts.backoffMaxMs);
    this.#attempt++;
    this.#cancelRetry?.();
    this.#cancelRetry = this.#timers.after(delay, () => this.#connect());
  }

  #armWatchdog(gen: number): void {
    this.#cancelWatchdog?.();
    this.#cancelWatchdog = this.#timers.after(this.#opts.watchdogMs, () => {
      if (gen === this.#generation) this.#restart('watchdog');
    });
  }

  #scheduleResync(): void {
    this.#cancelResync?.();
    this.#cancelResync = this.#timers.after(this.#opts.resyncMs, () => {
      if (!this.#running) return;
      this.#scheduleResync();
      this.#restart('resync');
    });
  }

  #connect(): void {
    if (!this.#running) return;
    const gen = ++this.#generation;
    void this.#run(gen);
  }

  async #run(gen: number): Promise<void> {
    if (this.#resourceVersion === '') {
      let listed: ListResult<T>;
      try {
        listed = await this.#source.list();
      } catch (err) {
        if (gen === this.#generation) this.#restart('list_error', err);
        return;
      }
      if (gen !== this.#generation) return;
      this.#applyList(listed);
    }
    let handle: WatchHandle;
    try {
      handle = await this.#source.watch(
        this.#resourceVersion,
        (e) => {
          if (gen === this.#generation) this.#onEvent(e, gen);
        },
        (err) => {
          if (gen !== this.#generation) return;
          if (err === undefined || err === null) this.#restart('closed');
          else this.#restart(errorCode(err) === 410 ? 'gone' : 'error', err);
        },
      );
    } catch (err) {
      if (gen === this.#generation) this.#restart(errorCode(err) === 410 ? 'gone' : 'error', err);
      return;
    }
    if (gen !== this.#generation) {
      handle.stop();
      return;
    }
    this.#watch = handle;
    this.#armWatchdog(gen);
  }

  #applyList(listed: ListResult<T>): void {
    const seen = new Set<string>();
    for (const item of listed.items) seen.add(objectKey(item));
    for (const [key, old] of [...this.#cache]) {
      if (!seen.has(key)) {
        this.#cache.delete(key);
        this.#handlers.onDelete(old);
      }
    }
    for (const item of listed.items) {
      this.#cache.set(objectKey(item), item);
      this.#handlers.onUpsert(item);
    }
    this.#resourceVersion = listed.resourceVersion;
    this.#attempt = 0;
    if (!this.#synced) {
      this.#synced = true;
      for (const w of this.#syncedWaiters.splice(0)) w();
    }
  }

  #onEvent(e: WatchEvent<T>, gen: number): void {
    this.#armWatchdog(gen);
    this.#attempt = 0;
    if (e.type === 'ERROR') {
      const code = (e.object as unknown as { code?: unknown }).code;
      this.#restart(code === 410 ? 'gone' : 'error', e.object);
      return;
    }
    const rv = e.object?.metadata?.resourceVersion;
    if (rv) this.#resourceVersion = rv;
    if (e.type === 'BOOKMARK') return;
    const key = objectKey(e.object);
    if (e.type === 'DELETED') {
      this.#cache.delete(key);
      this.#handlers.onDelete(e.object);
    } else {
      this.#cache.set(key, e.object);
      this.#handlers.onUpsert(e.object);
    }
  }
}
