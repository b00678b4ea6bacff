/**
 * The sink's engine, independent of any Kafka library: a bounded FIFO buffer, linger/batchBytes
 * accumulation, exactly one request in flight (a failed batch is retried, unchanged, before any
 * newer record, so a key's records never reorder and idempotent retries dedupe on the broker),
 * connect + metadata check at start and after connection-class failures, backoff, health and
 * metrics. A backlog goes out in one request of up to maxRequestBytes (4 × batchBytes by
 * default); a request the broker refuses as too large is split in halves, sent in order, down
 * to a single record, which is dropped loudly.
 */

import type { Logger } from 'pino';
import { type ClassifiedError, classifyKafkaError, type KafkaPhase } from '../../lib/kafka/classify.ts';
import { exponentialDelayMs } from '../../lib/time/backoff.ts';
import type { OutRecord, SinkClient } from './client.ts';
import { HealthTracker } from './health.ts';
import { type Batch, halves, outRecordsOf, RecordBuffer, recordBytes } from './record-buffer.ts';
import type { EventSink, ProducedRecord, SinkHealth, SinkMetrics } from './sink.ts';
import type { Timers } from './timers.ts';

const CLOSE_GRACE_MS = 2_000;
/** Least change of the buffered bytes the send path reports to the buffer gauge (acks: always). */
export const BUFFER_GAUGE_STEP = 64 * 1024;
/**
 * A backlog (records that piled up while a request was in flight) goes out in one request of up
 * to this many batchBytes: with one request in flight, the request size bounds the throughput.
 */
export const BACKLOG_REQUEST_FACTOR = 4;

export interface BatchingOptions {
  topics: string[];
  lingerMs: number;
  batchBytes: number;
  /** Most bytes one request carries when a backlog is buffered (default BACKLOG_REQUEST_FACTOR × batchBytes). */
  maxRequestBytes?: number;
  maxBufferBytes: number;
  /** Retry backoff after a failed connect/send: initial, doubling up to max. */
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** Default bound for flush()/close() without an argument. */
  defaultFlushTimeoutMs?: number;
  /**
   * Capacity above maxBufferBytes that only records of these topics may use (the status topic:
   * a full buffer of data never keeps a status event, e.g. the overflow report, out).
   */
  reserved?: { topics: readonly string[]; bytes: number };
}

export interface BatchingDeps {
  logger: Logger;
  metrics?: SinkMetrics;
  timers: Timers;
  /** Hides secrets in raw client error text before it is logged. */
  scrub?: (text: string) => string;
}

interface FlushWaiter {
  targetId: number;
  resolve: () => void;
}

interface BelowWaiter {
  bytes: number;
  resolve: () => void;
}

export function createBatchingSink(client: SinkClient, o: BatchingOptions, deps: BatchingDeps): EventSink {
  const log = deps.logger;
  const metrics = deps.metrics ?? {};
  const timers = deps.timers;
  const scrub = deps.scrub ?? ((s: string) => s);
  const retryInitialMs = o.retryInitialMs ?? 250;
  const retryMaxMs = o.retryMaxMs ?? 5_000;
  const defaultFlushTimeoutMs = o.defaultFlushTimeoutMs ?? 30_000;
  const maxRequestBytes = o.maxRequestBytes ?? BACKLOG_REQUEST_FACTOR * o.batchBytes;
  if (!(maxRequestBytes >= o.batchBytes))
    throw new Error(`maxRequestBytes (${maxRequestBytes}) must be at least batchBytes (${o.batchBytes})`);
  const reservedTopics = new Set(o.reserved?.topics ?? []);
  const reservedBytes = o.reserved?.bytes ?? 0;
  const capacityFor = (topic: string) => o.maxBufferBytes + (reservedTopics.has(topic) ? reservedBytes : 0);
  /** Episode start/end lines are paced: under overload, episodes alternate many times a second. */
  const EPISODE_LOG_INTERVAL_MS = 10_000;
  let lastEpisodeLogAt = Number.NEGATIVE_INFINITY;
  let episodeLogged = false;

  const buffer = new RecordBuffer();
  let inFlight: Batch | null = null;
  /** Parts of a batch the broker refused (halves, in order), sent before anything newer. */
  let splits: Batch[] = [];
  let nextId = 1;
  let ackedThrough = 0;
  let overflowed = 0;
  let overflowEpisode = 0;
  let connected = false;
  let started = false;
  let closed = false;
  /** Set by close() once flushing is over: nothing is scheduled any more. */
  let halted = false;
  let firstConnect: { promise: Promise<void>; resolve: () => void } | null = null;
  let busy: Promise<void> | null = null;
  let lingerTimer: unknown = null;
  let retryTimer: unknown = null;
  let retryAttempt = 0;
  /** Set after a producer sequence error: the next connect starts a new producer session. */
  let needsNewSession = false;
  let waiters: FlushWaiter[] = [];
  let belowWaiters: BelowWaiter[] = [];

  const sum = (f: (b: Batch) => number) => splits.reduce((n, b) => n + f(b), 0);
  const bufferedBytes = () => buffer.bytes + (inFlight?.bytes ?? 0) + sum((b) => b.bytes);
  // The buffer gauge moves by at least BUFFER_GAUGE_STEP between reports on the send path (a
  // prom-client set per record cost more than the rest of send()); every ack reports it exactly.
  let reportedBytes = Number.NaN;
  const reportBuffer = (exact: boolean): void => {
    const bytes = bufferedBytes();
    if (!exact && Math.abs(bytes - reportedBytes) < BUFFER_GAUGE_STEP) return;
    reportedBytes = bytes;
    metrics.bufferBytes?.(bytes);
  };
  const bufferedRecords = () =>
    buffer.length + (inFlight?.records.length ?? 0) + sum((b) => b.records.length);
  const health = new HealthTracker(
    () => ({
      bufferedBytes: bufferedBytes(),
      bufferedRecords: bufferedRecords(),
      overflowedRecords: overflowed,
    }),
    (err) => log.error({ err }, 'kafka sink health listener threw'),
  );

  client.onAttemptFailed?.((err) => {
    if (halted) return;
    const c = classifyKafkaError(err, 'produce');
    log.warn(
      {
        error_class: c.errorClass,
        reason: c.reason,
        phase: 'produce',
        buffered_records: bufferedRecords(),
        err: scrub(describeError(err)),
      },
      'kafka send attempt failed; the client retries the batch with the same sequence numbers',
    );
    metrics.sendFailed?.(c.errorClass);
    health.failed(c);
  });

  const urgent = () => waiters.length > 0 || closed;

  function clearLinger(): void {
    if (lingerTimer !== null) timers.clearTimeout(lingerTimer);
    lingerTimer = null;
  }

  function schedule(): void {
    if (busy || retryTimer !== null || !started || halted) return;
    if (!connected) {
      run('connect', connectOnce);
      return;
    }
    if (!inFlight) inFlight = splits.shift() ?? null;
    if (inFlight) {
      const batch = inFlight;
      run('produce', () => sendOnce(batch));
      return;
    }
    const oldest = buffer.oldest();
    if (!oldest) return;
    const waited = timers.now() - oldest.enqueuedAt;
    if (buffer.bytes >= o.batchBytes || waited >= o.lingerMs || urgent()) {
      clearLinger();
      // Below batchBytes this takes everything; a backlog goes out in one bigger request.
      inFlight = buffer.takeBatch(maxRequestBytes);
      const batch = inFlight as Batch;
      run('produce', () => sendOnce(batch));
      return;
    }
    if (lingerTimer === null) {
      lingerTimer = timers.setTimeout(() => {
        lingerTimer = null;
        schedule();
      }, o.lingerMs - waited);
    }
  }

  function run(phase: KafkaPhase, op: () => Promise<void>): void {
    busy = op()
      .then(
        () => {
          // A reconnect alone does not end a run of failures while a batch still waits to be retried.
          if (phase === 'connect' && (inFlight !== null || splits.length > 0)) {
            health.connected();
            return;
          }
          retryAttempt = 0;
          health.succeeded();
        },
        (err: unknown) => onFailure(phase, err),
      )
      .finally(() => {
        busy = null;
        if (phase === 'connect') firstConnect?.resolve();
        schedule();
      });
  }

  async function connectOnce(): Promise<void> {
    if (needsNewSession && client.resetProducer) {
      log.warn(
        { buffered_records: bufferedRecords() },
        'kafka producer session reset after a sequence error; the unacked batch may be written twice',
      );
      await client.resetProducer();
      needsNewSession = false;
    }
    await client.connect();
    await client.checkTopics(o.topics);
    connected = true;
    log.info({ topics: o.topics }, 'kafka sink connected; all topics exist');
  }

  async function sendOnce(batch: Batch): Promise<void> {
    const t0 = timers.now();
    await client.sendBatch(batch.out);
    metrics.sendLatencySeconds?.((timers.now() - t0) / 1000);
    metrics.batchRecords?.(batch.records.length);
    for (const t of batch.out.topicMessages) metrics.forwarded?.(t.topic, t.messages.length);
    inFlight = null;
    ackedThrough = batch.lastId;
    reportBuffer(true);
    resolveWaiters();
  }

  function onFailure(phase: KafkaPhase, err: unknown): void {
    const c: ClassifiedError = classifyKafkaError(err, phase);
    if (c.reason === 'kafka_record_rejected' && inFlight) {
      const batch = inFlight;
      inFlight = null;
      if (splitRejected(batch, err)) {
        // Not a failure of the broker or the connection: the halves go out at once, health stays.
        metrics.sendFailed?.(c.errorClass);
        return;
      }
    }
    if (c.reconnect) connected = false;
    if (c.reason === 'kafka_producer_sequence_error') needsNewSession = true;
    retryAttempt++;
    const delay = exponentialDelayMs(retryAttempt, retryInitialMs, retryMaxMs);
    log.warn(
      {
        error_class: c.errorClass,
        reason: c.reason,
        phase,
        attempt: retryAttempt,
        retry_in_ms: delay,
        buffered_records: bufferedRecords(),
        err: scrub(describeError(err)),
      },
      phase === 'connect'
        ? 'kafka connect/metadata check failed; retrying'
        : 'kafka send failed; the batch will be retried unchanged',
    );
    metrics.sendFailed?.(c.errorClass);
    health.failed(c);
    retryTimer = timers.setTimeout(() => {
      retryTimer = null;
      schedule();
    }, delay);
  }

  /**
   * The broker refused a batch as too large/invalid: retrying it unchanged would block the stream
   * forever. The records no partition acked (client.delivered: the broker answers per partition)
   * are split in two halves by bytes, sent in order before anything newer, halved again while
   * refused; a single record the broker refuses is dropped loudly (error log, counted as
   * overflowed) so the records behind it can flow. Returns false when it dropped a record.
   */
  function splitRejected(batch: Batch, err: unknown): boolean {
    const done = client.delivered?.(batch.out);
    let left = batch.records;
    if (done && done.size > 0) {
      const outs = outRecordsOf(batch);
      const acked = new Map<string, number>();
      left = batch.records.filter((r, i) => {
        if (!done.has(outs[i] as OutRecord)) return true;
        acked.set(r.record.topic, (acked.get(r.record.topic) ?? 0) + 1);
        return false;
      });
      for (const [topic, n] of acked) metrics.forwarded?.(topic, n);
    }
    if (left.length > 1) {
      const [head, tail] = halves(left, batch.lastId);
      splits = [head, tail, ...splits];
      log.warn(
        {
          records: batch.records.length,
          bytes: batch.bytes,
          already_acked: batch.records.length - left.length,
          halves: [head.records.length, tail.records.length],
          err: scrub(describeError(err)),
        },
        'kafka refused a request as too large or invalid; it is split in halves, sent in order',
      );
      reportBuffer(true);
      return true;
    }
    const r = left[0];
    if (!r) {
      ackedThrough = batch.lastId;
      reportBuffer(true);
      resolveWaiters();
      return true;
    }
    overflowed++;
    metrics.overflowed?.(r.record.topic, 1);
    log.error(
      { topic: r.record.topic, record_key: r.record.key, bytes: r.bytes, err: scrub(describeError(err)) },
      'kafka rejected a record as invalid or too large; it is dropped and counted as overflowed',
    );
    ackedThrough = batch.lastId;
    reportBuffer(true);
    resolveWaiters();
    return false;
  }

  function resolveWaiters(): void {
    resolveBelowWaiters();
    if (waiters.length === 0) return;
    const still: FlushWaiter[] = [];
    for (const w of waiters) {
      if (ackedThrough >= w.targetId) w.resolve();
      else still.push(w);
    }
    waiters = still;
  }

  function resolveBelowWaiters(): void {
    if (belowWaiters.length === 0) return;
    const now = halted ? Number.NEGATIVE_INFINITY : bufferedBytes();
    const still: BelowWaiter[] = [];
    for (const w of belowWaiters) {
      if (now <= w.bytes) w.resolve();
      else still.push(w);
    }
    belowWaiters = still;
  }

  // Log fields: `record_key`, not `key`, which the forwarder's logger redacts as a secret name.
  function overflow(record: ProducedRecord, why: 'buffer_full' | 'sink_closed'): void {
    overflowed++;
    metrics.overflowed?.(record.topic, 1);
    // Counted before listeners hear of it: a listener that sends (a status report) and
    // overflows again must not start the episode a second time (issue 15: unbounded recursion).
    overflowEpisode++;
    if (overflowEpisode === 1) {
      const fields = {
        topic: record.topic,
        record_key: record.key,
        why,
        buffered_bytes: bufferedBytes(),
        max_buffer_bytes: o.maxBufferBytes,
        overflowed_total: overflowed,
      };
      const msg =
        'kafka sink dropped a record (buffer overflow); counting further drops until records are accepted again';
      episodeLogged = timers.now() - lastEpisodeLogAt >= EPISODE_LOG_INTERVAL_MS;
      if (episodeLogged) {
        lastEpisodeLogAt = timers.now();
        log.error(fields, msg);
      } else log.debug(fields, msg);
      health.overflowStarted();
    }
  }

  async function flush(timeoutMs = defaultFlushTimeoutMs): Promise<void> {
    const targetId = nextId - 1;
    if (ackedThrough >= targetId) return;
    let handle: unknown = null;
    const done = new Promise<'acked'>((resolve) => {
      waiters.push({ targetId, resolve: () => resolve('acked') });
    });
    schedule();
    const timedOut = new Promise<'timeout'>((resolve) => {
      handle = timers.setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const outcome = await Promise.race([done, timedOut]);
    timers.clearTimeout(handle);
    if (outcome === 'timeout') {
      waiters = waiters.filter((w) => w.targetId !== targetId);
      const h = health.snapshot();
      log.warn(
        {
          timeout_ms: timeoutMs,
          unacked_records: targetId - ackedThrough,
          buffered_bytes: bufferedBytes(),
          kafka_ok: h.ok,
          error_class: h.errorClass,
          reason: h.reason,
          consecutive_failures: h.consecutiveFailures,
        },
        'kafka sink flush timed out; records are still buffered',
      );
    }
  }

  return {
    async start() {
      if (started) return;
      started = true;
      log.info(
        {
          topics: o.topics,
          linger_ms: o.lingerMs,
          batch_bytes: o.batchBytes,
          max_request_bytes: maxRequestBytes,
          max_buffer_bytes: o.maxBufferBytes,
        },
        'kafka sink starting',
      );
      let resolve = () => {};
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      firstConnect = { promise, resolve };
      schedule();
      // Resolves once the first connect + metadata check finished, successfully or not.
      await promise;
    },

    send(record) {
      if (closed) {
        overflow(record, 'sink_closed');
        return false;
      }
      const bytes = recordBytes(record);
      if (bufferedBytes() + bytes > capacityFor(record.topic)) {
        overflow(record, 'buffer_full');
        return false;
      }
      if (overflowEpisode > 0) {
        const fields = { dropped: overflowEpisode, overflowed_total: overflowed };
        if (episodeLogged) log.warn(fields, 'kafka sink accepts records again after an overflow');
        else log.debug(fields, 'kafka sink accepts records again after an overflow');
        overflowEpisode = 0;
      }
      buffer.push({ id: nextId++, record, bytes, enqueuedAt: timers.now() });
      reportBuffer(false);
      schedule();
      return true;
    },

    flush,

    async close(timeoutMs = defaultFlushTimeoutMs) {
      if (closed) return;
      if (started) await flush(timeoutMs);
      closed = true;
      halted = true;
      clearLinger();
      if (retryTimer !== null) timers.clearTimeout(retryTimer);
      retryTimer = null;
      const lost = bufferedRecords();
      if (lost > 0)
        log.error(
          { lost_records: lost, buffered_bytes: bufferedBytes() },
          'kafka sink closed with unacked records',
        );
      // An attempt still running (e.g. connecting to a dead broker) gets a short grace, then the
      // client is disconnected under it so close() stays bounded.
      if (busy) {
        let graceTimer: unknown = null;
        const grace = new Promise<void>((resolve) => {
          graceTimer = timers.setTimeout(resolve, CLOSE_GRACE_MS);
        });
        await Promise.race([busy, grace]);
        timers.clearTimeout(graceTimer);
      }
      health.markClosed();
      resolveBelowWaiters();
      try {
        await client.disconnect();
      } catch (err) {
        log.warn({ err: scrub(describeError(err)) }, 'kafka disconnect failed');
      }
      log.info('kafka sink closed');
    },

    health(): SinkHealth {
      return health.snapshot();
    },

    bufferedBytes,

    whenBelow(bytes) {
      if (halted || bufferedBytes() <= bytes) return Promise.resolve();
      return new Promise<void>((resolve) => {
        belowWaiters.push({ bytes, resolve });
      });
    },

    onHealthChange(listener) {
      return health.subscribe(listener);
    },
  };
}

function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const parts = [`${err.name}: ${err.message}`];
  let cause: unknown = err.cause;
  for (let i = 0; i < 4 && cause instanceof Error; i++) {
    parts.push(`${cause.name}: ${cause.message}`);
    cause = cause.cause;
  }
  return parts.join(' <- ');
}
