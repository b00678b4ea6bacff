/** Test doubles for the sink engine: a scriptable SinkClient and manual timers. */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { OutBatch, OutRecord, SinkClient } from '../../forwarder/kafka/client.ts';
import type { Timers } from '../../forwarder/kafka/timers.ts';

export class ManualTimers implements Timers {
  private t = 0;
  private seq = 0;
  private pending = new Map<number, { at: number; fn: () => void }>();
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.pending.set(id, { at: this.t + Math.max(0, ms), fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  /** Advances the clock, firing due timers in time order. */
  advance(ms: number): void {
    const until = this.t + ms;
    for (;;) {
      const due = [...this.pending]
        .filter(([, p]) => p.at <= until)
        .sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!due) break;
      this.pending.delete(due[0]);
      this.t = due[1].at;
      due[1].fn();
    }
    this.t = until;
  }
  get pendingCount(): number {
    return this.pending.size;
  }
}

interface Deferred {
  batch: OutBatch;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** Each sendBatch/connect call waits until the test settles it, so the test controls every step. */
export class FakeClient implements SinkClient {
  sends: Deferred[] = [];
  connects: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  checkTopicsError: unknown = null;
  checked: string[][] = [];
  disconnected = false;
  /** When true, connect resolves at once. */
  autoConnect = true;
  resetProducer?: () => Promise<void>;
  /** The sink's listener for attempts the client retries itself (set when the sink is created). */
  attemptFailed: ((err: unknown) => void) | null = null;
  /** Records of a batch the test says a broker acked although its send failed (delivered()). */
  acked = new WeakMap<OutBatch, Set<OutRecord>>();

  delivered(batch: OutBatch): ReadonlySet<OutRecord> {
    return this.acked.get(batch) ?? new Set();
  }

  onAttemptFailed(listener: (err: unknown) => void): void {
    this.attemptFailed = listener;
  }

  connect(): Promise<void> {
    if (this.autoConnect) return Promise.resolve();
    return new Promise((resolve, reject) => this.connects.push({ resolve, reject }));
  }
  async checkTopics(topics: string[]): Promise<void> {
    this.checked.push(topics);
    if (this.checkTopicsError) throw this.checkTopicsError;
  }
  sendBatch(batch: OutBatch): Promise<void> {
    return new Promise((resolve, reject) => this.sends.push({ batch, resolve, reject }));
  }
  async disconnect(): Promise<void> {
    this.disconnected = true;
  }
  /** The oldest unsettled send. */
  next(): Deferred {
    const d = this.sends.shift();
    if (!d) throw new Error('no sendBatch call pending');
    return d;
  }
}

export function kafkaError(name: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name} raw text`), { name, ...extra });
}

/** Lets pending promise callbacks (the engine's .then/.finally chains) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
  await new Promise((r) => setImmediate(r));
}

export function silentLogger(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _e, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

export function values(batch: OutBatch): string[] {
  return batch.topicMessages.flatMap((t) => t.messages.map((m) => `${t.topic}/${m.key}/${m.value}`));
}
