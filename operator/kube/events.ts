/**
 * Event recorder for events.k8s.io/v1 with client-go-style aggregation: the first occurrence of
 * an event (same object, type, reason, action and note) creates an Event; repeats within
 * `seriesWindowMs` only update its series {count, lastObservedTime} instead of creating new
 * ones, and at most one write per `minIntervalMs` is made per series (the count catches up on
 * the next write). Recording never throws: a failed Event write is reported through onError.
 */

import type { EventsV1Event } from '@kubernetes/client-node';
import { formatMicroTime } from '../../lib/lease/micro-time.ts';
import { realTimers, type Timers } from './timers.ts';

export interface EventSink {
  create(namespace: string, event: EventsV1Event): Promise<void>;
  patch(namespace: string, name: string, patch: object): Promise<void>;
}

export interface EventTarget {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid: string;
}

export interface EventInput {
  type: 'Normal' | 'Warning';
  /** CamelCase machine reason, e.g. RestartTriggered. */
  reason: string;
  /** What the operator did or failed to do, e.g. Restart, Reconcile. */
  action: string;
  /** Human text; must never contain a secret. Truncated to 1024 characters. */
  note: string;
}

export interface EventRecorderOptions {
  reportingController: string;
  reportingInstance: string;
  seriesWindowMs?: number;
  minIntervalMs?: number;
  maxTracked?: number;
  timers?: Timers;
  onError?: (err: unknown) => void;
}

interface Series {
  namespace: string;
  name: string;
  count: number;
  firstMs: number;
  lastWriteMs: number;
}

export class EventRecorder {
  readonly #sink: EventSink;
  readonly #o: Required<Omit<EventRecorderOptions, 'onError' | 'timers'>>;
  readonly #timers: Timers;
  readonly #onError: EventRecorderOptions['onError'];
  readonly #series = new Map<string, Series>();
  #seq = 0;

  constructor(sink: EventSink, opts: EventRecorderOptions) {
    this.#sink = sink;
    this.#timers = opts.timers ?? realTimers;
    this.#onError = opts.onError;
    this.#o = {
      reportingController: opts.reportingController,
      reportingInstance: opts.reportingInstance,
      seriesWindowMs: opts.seriesWindowMs ?? 600_000,
      minIntervalMs: opts.minIntervalMs ?? 60_000,
      maxTracked: opts.maxTracked ?? 4096,
    };
  }

  async record(target: EventTarget, input: EventInput): Promise<void> {
    const note = input.note.slice(0, 1024);
    const key = [target.uid, input.type, input.reason, input.action, note].join('\u0000');
    const now = this.#timers.now();
    const existing = this.#series.get(key);
    try {
      if (existing && now - existing.firstMs < this.#o.seriesWindowMs) {
        existing.count++;
        if (now - existing.lastWriteMs < this.#o.minIntervalMs) return;
        existing.lastWriteMs = now;
        await this.#sink.patch(existing.namespace, existing.name, {
          series: { count: existing.count, lastObservedTime: formatMicroTime(now) },
        });
        return;
      }
      const name = `${target.name}.${now.toString(16)}${(this.#seq++ & 0xfff).toString(16).padStart(3, '0')}`;
      this.#remember(key, { namespace: target.namespace, name, count: 1, firstMs: now, lastWriteMs: now });
      await this.#sink.create(target.namespace, {
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        metadata: { name, namespace: target.namespace },
        eventTime: formatMicroTime(now) as unknown as Date,
        type: input.type,
        reason: input.reason,
        action: input.action,
        note,
        reportingController: this.#o.reportingController,
        reportingInstance: this.#o.reportingInstance,
        regarding: {
          apiVersion: target.apiVersion,
          kind: target.kind,
          namespace: target.namespace,
          name: target.name,
          uid: target.uid,
        },
      });
    } catch (err) {
      // The series may be gone (Events expire after an hour); start a new one next time.
      this.#series.delete(key);
      this.#onError?.(err);
    }
  }

  #remember(key: string, s: Series): void {
    this.#series.delete(key);
    this.#series.set(key, s);
    while (this.#series.size > this.#o.maxTracked) {
      const oldest = this.#series.keys().next().value;
      if (oldest === undefined) break;
      this.#series.delete(oldest);
    }
  }
}
