/**
 * Record of everything the simulator saw and did: connections (with how they ended), every
 * frame in and out (decoded), auth outcomes, upgrades refused, REST calls. Tests assert on it and
 * await it (`waitFor`) instead of sleeping.
 */
import type { Encoding } from './codec.ts';
import type { SubscriptionState } from './subscriptions.ts';

export type ConnectionKind = 'market' | 'trading' | 'minimal';

/** How a connection ended: client close frame, client vanished, server close frame, server drop. */
export type CloseHow = 'clean' | 'abrupt' | 'server-close' | 'server-drop';

export interface ConnectionRecord {
  id: number;
  kind: ConnectionKind;
  path: string;
  encoding: Encoding;
  remote: string;
  connectedAt: number;
  /** Key id once authenticated (never the secret). */
  keyId: string | null;
  authAt: number | null;
  closedAt: number | null;
  closeHow: CloseHow | null;
  closeCode: number | null;
  /** Current stock subscription set (market connections). */
  subscriptions: SubscriptionState | null;
  /** Trading stream: streams currently listened to. */
  listening: string[];
}

export type LogEvent =
  | { type: 'upgrade-refused'; at: number; path: string; status: number }
  | { type: 'connect'; at: number; connId: number; path: string; encoding: Encoding; kind: ConnectionKind }
  | { type: 'auth'; at: number; connId: number; keyId: string | null; outcome: 'ok' | 'failed' | number }
  | {
      type: 'frame';
      at: number;
      connId: number;
      dir: 'in' | 'out';
      binary: boolean;
      /** Decoded messages (out: as built, SimTime timestamps; in: the decoded client message in a one-element array, or null if undecodable). */
      messages: unknown[] | null;
      bytes: number;
    }
  | { type: 'close'; at: number; connId: number; how: CloseHow; code: number | null }
  | { type: 'rest'; at: number; path: string; status: number; keyId: string | null };

export type LogEventOf<T extends LogEvent['type']> = Extract<LogEvent, { type: T }>;

interface Waiter {
  predicate: (e: LogEvent) => boolean;
  resolve: (e: LogEvent) => void;
}

export class SimLog {
  readonly events: LogEvent[] = [];
  readonly connections = new Map<number, ConnectionRecord>();
  /** Frames are logged unless switched off (benchmarks). */
  logFrames = true;
  private readonly maxEvents: number;
  private waiters = new Set<Waiter>();
  /** Events trimmed off the front so far; marks stay valid across trims. */
  private dropped = 0;

  constructor(maxEvents = 500_000) {
    this.maxEvents = maxEvents;
  }

  add(event: LogEvent): void {
    if (event.type === 'frame' && !this.logFrames) return;
    this.events.push(event);
    // trim in chunks (oldest first) so a long run stays bounded without O(n) work per event
    if (this.events.length > this.maxEvents * 1.1) {
      const drop = this.events.length - this.maxEvents;
      this.events.splice(0, drop);
      this.dropped += drop;
    }
    for (const w of this.waiters) {
      if (w.predicate(event)) {
        this.waiters.delete(w);
        w.resolve(event);
      }
    }
  }

  /**
   * Resolves with the first event (already logged or future) that matches; rejects after
   * `timeoutMs` (a safety net, real time) naming what it waited for.
   */
  waitFor<E extends LogEvent = LogEvent>(
    predicate: (e: LogEvent) => boolean,
    opts: { timeoutMs?: number; what?: string; since?: number } = {},
  ): Promise<E> {
    const since = Math.max(0, (opts.since ?? 0) - this.dropped);
    const existing = this.events.slice(since).find(predicate);
    if (existing !== undefined) return Promise.resolve(existing as E);
    return new Promise<E>((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e as E);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(
          new Error(
            `sim log: timed out after ${opts.timeoutMs ?? 10_000} ms waiting for ${opts.what ?? 'event'}`,
          ),
        );
      }, opts.timeoutMs ?? 10_000);
      this.waiters.add(waiter);
    });
  }

  /** Position to pass as `since` so waitFor only considers later events (stable across trims). */
  mark(): number {
    return this.dropped + this.events.length;
  }

  /** Events logged after `mark`. */
  eventsSince(mark: number): LogEvent[] {
    return this.events.slice(Math.max(0, mark - this.dropped));
  }

  /** Waits for a connection to be opened (optionally matching) and returns its record. */
  async waitForConnection(
    predicate: (c: ConnectionRecord) => boolean = () => true,
    opts: { timeoutMs?: number; since?: number } = {},
  ): Promise<ConnectionRecord> {
    const e = await this.waitFor<LogEventOf<'connect'>>(
      (ev) => ev.type === 'connect' && predicate(this.connection(ev.connId)),
      { ...opts, what: 'a connection' },
    );
    return this.connection(e.connId);
  }

  /** Waits until connection `connId` is closed; returns the close event. */
  waitForClose(connId: number, opts: { timeoutMs?: number } = {}): Promise<LogEventOf<'close'>> {
    return this.waitFor((e) => e.type === 'close' && e.connId === connId, {
      ...opts,
      what: `close of connection ${connId}`,
    });
  }

  /** Waits for a frame from or to `connId` holding a message that matches. */
  async waitForMessage(
    connId: number | null,
    dir: 'in' | 'out',
    predicate: (m: Record<string, unknown>) => boolean,
    opts: { timeoutMs?: number; since?: number } = {},
  ): Promise<Record<string, unknown>> {
    const match = (e: LogEvent): boolean =>
      e.type === 'frame' &&
      e.dir === dir &&
      (connId === null || e.connId === connId) &&
      (e.messages ?? []).some((m) => isRecord(m) && predicate(m));
    const e = await this.waitFor<LogEventOf<'frame'>>(match, {
      ...opts,
      what: `a ${dir} message on connection ${connId ?? 'any'}`,
    });
    return (e.messages ?? []).find((m) => isRecord(m) && predicate(m)) as Record<string, unknown>;
  }

  connection(id: number): ConnectionRecord {
    const c = this.connections.get(id);
    if (c === undefined) throw new Error(`sim log: no connection ${id}`);
    return c;
  }

  connectionList(): ConnectionRecord[] {
    return [...this.connections.values()];
  }

  frames(connId: number, dir?: 'in' | 'out'): LogEventOf<'frame'>[] {
    return this.events.filter(
      (e): e is LogEventOf<'frame'> =>
        e.type === 'frame' && e.connId === connId && (dir === undefined || e.dir === dir),
    );
  }

  /** Every message sent to `connId`, flattened out of their frames. */
  messagesOut(connId: number): Record<string, unknown>[] {
    return this.frames(connId, 'out').flatMap((f) => (f.messages ?? []).filter(isRecord));
  }

  /** Every decoded message received from `connId`. */
  messagesIn(connId: number): Record<string, unknown>[] {
    return this.frames(connId, 'in').flatMap((f) => (f.messages ?? []).filter(isRecord));
  }

  subscriptionsOf(connId: number): SubscriptionState | null {
    return this.connection(connId).subscriptions;
  }

  /** Milliseconds between the close of connection `a` and the opening of connection `b`. */
  reconnectGap(a: number, b: number): number {
    const first = this.connection(a);
    const second = this.connection(b);
    if (first.closedAt === null) throw new Error(`sim log: connection ${a} is not closed`);
    return second.connectedAt - first.closedAt;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
