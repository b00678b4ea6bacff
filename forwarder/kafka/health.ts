/**
 * The sink's health state: consecutive failures (connect, metadata check or send), the last
 * classified failure, and listeners notified when ok / errorClass / reason change or an overflow
 * episode starts. Not ok before the first successful connect, after 3 consecutive failures, and
 * after close.
 */
import type { ClassifiedError } from '../../lib/kafka/classify.ts';
import type { SinkErrorClass, SinkHealth } from './sink.ts';

export const FAILURES_BEFORE_UNHEALTHY = 3;

export interface BufferFigures {
  bufferedBytes: number;
  bufferedRecords: number;
  overflowedRecords: number;
}

export class HealthTracker {
  private connectedOnce = false;
  private closed = false;
  private failures = 0;
  private last: { errorClass: SinkErrorClass; reason: string; missingTopics?: string[] } | null = null;
  private listeners = new Set<(h: SinkHealth) => void>();
  private lastKey = '';
  private readonly figures: () => BufferFigures;
  private readonly onListenerError: (err: unknown) => void;

  constructor(figures: () => BufferFigures, onListenerError: (err: unknown) => void) {
    this.figures = figures;
    this.onListenerError = onListenerError;
    this.lastKey = this.key(this.snapshot());
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  snapshot(): SinkHealth {
    const ok = this.connectedOnce && !this.closed && this.failures < FAILURES_BEFORE_UNHEALTHY;
    let errorClass: SinkErrorClass | null = null;
    let reason: string | null = null;
    let missingTopics: string[] | undefined;
    if (!ok) {
      if (this.closed) reason = 'kafka_sink_closed';
      else if (this.last) ({ errorClass, reason, missingTopics } = this.last);
      else reason = 'kafka_not_connected';
    }
    return {
      ok,
      errorClass,
      reason,
      consecutiveFailures: this.failures,
      ...this.figures(),
      ...(missingTopics ? { missingTopics } : {}),
    };
  }

  succeeded(): void {
    this.connectedOnce = true;
    this.failures = 0;
    this.last = null;
    this.publishIfChanged();
  }

  /** Connected and topics checked, but failures keep counting until a send succeeds. */
  connected(): void {
    this.connectedOnce = true;
    this.publishIfChanged();
  }

  failed(c: ClassifiedError): void {
    this.failures++;
    this.last = {
      errorClass: c.errorClass,
      reason: c.reason,
      ...(c.missingTopics ? { missingTopics: c.missingTopics } : {}),
    };
    this.publishIfChanged();
  }

  markClosed(): void {
    this.closed = true;
    this.publishIfChanged();
  }

  /** An overflow episode started: listeners hear about it even though ok did not change. */
  overflowStarted(): void {
    this.publish(this.snapshot());
  }

  subscribe(listener: (h: SinkHealth) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private key(h: SinkHealth): string {
    return `${h.ok}|${h.errorClass}|${h.reason}|${h.missingTopics?.join(',') ?? ''}`;
  }

  private publishIfChanged(): void {
    const h = this.snapshot();
    const key = this.key(h);
    if (key === this.lastKey) return;
    this.lastKey = key;
    this.publish(h);
  }

  private publish(h: SinkHealth): void {
    for (const l of this.listeners) {
      try {
        l(h);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }
}
