/**
 * Prometheus metrics (names are a contract: docs/forwarder-metrics.md). Own registry per
 * instance so tests can run several forwarders in one process.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { ERROR_CLASSES } from '../../contracts/readiness.ts';
import { EMPTY_READ_BACKLOG, type ReadBacklog } from '../alpaca/read-queue.ts';
import type { FreshnessReport } from '../app/freshness.ts';
import type { SinkMetrics } from '../kafka/sink.ts';
import type { PipelineMetrics } from '../pipeline/pipeline.ts';
import { messageTypeLabel, reasonLabel } from './label-values.ts';
import type { ReadinessState } from './readiness.ts';

const P = 'alpaca_forwarder_';

export interface ForwarderMetrics {
  registry: Registry;
  pipeline: PipelineMetrics;
  sink: SinkMetrics;
  unknownMessage(stream: string, type: string): void;
  reconnect(stream: string, reason: string): void;
  streamState(stream: string, status: string): void;
  statusEventsPublished(stream: string): void;
  readiness(state: ReadinessState): void;
  configReloads(result: 'applied' | 'restart_required' | 'rejected' | 'unchanged'): void;
  gapFillFailure(stream: string, reason: string): void;
  tradeUpdatesGap(): void;
  /** 1 while Kafka-buffer overflows happened within the last report interval. */
  kafkaOverflowing(on: boolean): void;
  heartbeat(stream: string): void;
  /** Current market-data lag (now − event time of the newest WS event handled), seconds. */
  wsLagNow(seconds: number): void;
  /**
   * Where the backlog gauges read at each scrape: records accepted by the Kafka sink and not yet
   * acked (buffered, in flight, awaiting retry). Read on scrape only: no cost per event.
   */
  backlogFrom(read: () => { events: number; bytes: number }): void;
  /** Where the read-queue gauges read at each scrape: market-data frames read, not yet handled. */
  readBacklogFrom(read: () => ReadBacklog): void;
  /** Freshness per channel after each check (stale symbols, stale channel, last event age). */
  freshness(report: FreshnessReport): void;
  /** Where the market calendar in use comes from, after each fetch. */
  calendarOrigin(origin: 'alpaca' | 'fallback'): void;
}

/** A metric child per channel, made on first use and kept. */
function byChannel<T>(make: (channel: string) => T): (channel: string) => T {
  const children = new Map<string, T>();
  return (channel) => {
    let child = children.get(channel);
    if (child === undefined) {
      child = make(channel);
      children.set(channel, child);
    }
    return child;
  };
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): ForwarderMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: P });
  const registers = [registry];
  const received = new Counter({
    name: `${P}events_received_total`,
    help: 'Alpaca events received, by channel',
    labelNames: ['channel'],
    registers,
  });
  const forwarded = new Counter({
    name: `${P}events_forwarded_total`,
    help: 'Envelopes handed to the Kafka sink, by channel',
    labelNames: ['channel'],
    registers,
  });
  const deduplicated = new Counter({
    name: `${P}events_deduplicated_total`,
    help: 'Exact replays dropped by dedup, by channel',
    labelNames: ['channel'],
    registers,
  });
  const dropped = new Counter({
    name: `${P}events_dropped_total`,
    help: 'Events that could not be forwarded, by channel and reason',
    labelNames: ['channel', 'reason'],
    registers,
  });
  const unknown = new Counter({
    name: `${P}unknown_messages_total`,
    help: 'Alpaca messages of an unknown type, by stream and type (documented types, else other)',
    labelNames: ['stream', 'type'],
    registers,
  });
  const reconnects = new Counter({
    name: `${P}reconnects_total`,
    help: 'WebSocket reconnects, by stream and reason',
    labelNames: ['stream', 'reason'],
    registers,
  });
  const streamState = new Gauge({
    name: `${P}stream_state`,
    help: 'Current connection state per stream (one-hot over status)',
    labelNames: ['stream', 'status'],
    registers,
  });
  const statusEvents = new Counter({
    name: `${P}status_events_total`,
    help: 'Status-topic events published, by stream',
    labelNames: ['stream'],
    registers,
  });
  const lag = new Histogram({
    name: `${P}ws_lag_seconds`,
    help: 'WebSocket lag: ingest time minus Alpaca event time, by channel',
    labelNames: ['channel'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  });
  const sendLatency = new Histogram({
    name: `${P}kafka_send_latency_seconds`,
    help: 'Kafka produce request latency (send to ack)',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const batch = new Histogram({
    name: `${P}kafka_batch_records`,
    help: 'Records per Kafka produce batch',
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000],
    registers,
  });
  const bufferBytes = new Gauge({
    name: `${P}kafka_buffer_bytes`,
    help: 'Bytes waiting in the Kafka sink buffer',
    registers,
  });
  const delivered = new Counter({
    name: `${P}kafka_records_delivered_total`,
    help: 'Records acknowledged by Kafka, by topic',
    labelNames: ['topic'],
    registers,
  });
  const overflowed = new Counter({
    name: `${P}kafka_buffer_overflow_total`,
    help: 'Records dropped because the Kafka buffer was full, by topic',
    labelNames: ['topic'],
    registers,
  });
  const sendFailed = new Counter({
    name: `${P}kafka_send_failures_total`,
    help: 'Failed Kafka sends, by error class',
    labelNames: ['error_class'],
    registers,
  });
  // Exported at 0 so alerts and rate() see the first failure of each class.
  for (const c of ERROR_CLASSES) if (c.startsWith('kafka_')) sendFailed.inc({ error_class: c }, 0);
  const ready = new Gauge({ name: `${P}ready`, help: '1 when /readyz is 200', registers });
  const gate = new Gauge({
    name: `${P}readiness_gate`,
    help: 'Readiness gate status (1 open, 0 closed, -1 disabled)',
    labelNames: ['gate'],
    registers,
  });
  const errorClass = new Gauge({
    name: `${P}readiness_error_class`,
    help: 'Current readiness error class (one-hot)',
    labelNames: ['error_class'],
    registers,
  });
  for (const c of ERROR_CLASSES) errorClass.set({ error_class: c }, 0);
  const reloads = new Counter({
    name: `${P}config_reloads_total`,
    help: 'Config file changes seen, by result',
    labelNames: ['result'],
    registers,
  });
  const gapFillFailures = new Counter({
    name: `${P}gap_fill_failures_total`,
    help: 'Stream gaps whose REST fill failed (events in them may be missing), by stream and reason',
    labelNames: ['stream', 'reason'],
    registers,
  });
  const tradeUpdatesGaps = new Counter({
    name: `${P}trade_updates_gaps_total`,
    help: 'Trade-updates gaps (reconnect, lost Lease): order updates in them are not replayed by Alpaca',
    registers,
  });
  const overflowing = new Gauge({
    name: `${P}kafka_buffer_overflowing`,
    help: '1 while records were dropped because the Kafka buffer was full (within the last 5 s)',
    registers,
  });
  overflowing.set(0);
  const heartbeats = new Counter({
    name: `${P}heartbeats_total`,
    help: 'Heartbeat frames received (trading stream: 1-byte binary 0x01), by stream; nothing is forwarded',
    labelNames: ['stream'],
    registers,
  });
  const lagNow = new Gauge({
    name: `${P}ws_lag_current_seconds`,
    help: 'Market-data lag now: now minus the Alpaca event time of the newest WebSocket event handled (0 once caught up)',
    registers,
  });
  /** A gauge set from `read` at each scrape only: no cost per event. */
  const scrapedGauge = (name: string, help: string, read: () => number): void => {
    new Gauge({
      name: `${P}${name}`,
      help,
      registers,
      collect() {
        this.set(read());
      },
    });
  };
  let backlog: () => { events: number; bytes: number } = () => ({ events: 0, bytes: 0 });
  scrapedGauge(
    'backlog_events',
    'Records accepted by the Kafka sink and not yet acked by Kafka (buffered, in flight, awaiting retry)',
    () => backlog().events,
  );
  scrapedGauge(
    'backlog_bytes',
    'Bytes of the records accepted by the Kafka sink and not yet acked by Kafka',
    () => backlog().bytes,
  );
  let readBacklog: () => ReadBacklog = () => EMPTY_READ_BACKLOG;
  scrapedGauge(
    'ws_read_queue_frames',
    'Market-data frames read from the socket and not yet handled (a burst waits here)',
    () => readBacklog().frames,
  );
  scrapedGauge(
    'ws_read_queue_bytes',
    'Bytes of the market-data frames read from the socket and not yet handled',
    () => readBacklog().bytes,
  );
  scrapedGauge(
    'ws_reads_paused',
    '1 while market-data socket reads are paused because the read queue is full',
    () => (readBacklog().paused ? 1 : 0),
  );
  const staleSymbols = new Gauge({
    name: `${P}stale_symbols`,
    help: 'Subscribed symbols stale on a channel (silent for channelStaleAfterMs after trading today; bars: minute bar overdue), by channel',
    labelNames: ['channel'],
    registers,
  });
  const channelStale = new Gauge({
    name: `${P}channel_stale`,
    help: '1 while a whole channel that must flow in the regular session is silent (a reconnect reason), by channel',
    labelNames: ['channel'],
    registers,
  });
  const lastEventAge = new Gauge({
    name: `${P}last_event_age_seconds`,
    help: 'Seconds since the last WebSocket event on a subscribed channel, by channel',
    labelNames: ['channel'],
    registers,
  });
  const calendarFallback = new Gauge({
    name: `${P}market_calendar_fallback`,
    help: "1 while the shipped NYSE rule set stands in for Alpaca's /v2/calendar (it could not be fetched)",
    registers,
  });
  calendarFallback.set(0);
  const calendarFetches = new Counter({
    name: `${P}market_calendar_fetches_total`,
    help: "Fetches of Alpaca's /v2/calendar, by result (ok, fallback)",
    labelNames: ['result'],
    registers,
  });
  for (const channel of ['trades', 'quotes', 'bars']) {
    staleSymbols.set({ channel }, 0);
    channelStale.set({ channel }, 0);
  }
  const STATUSES = ['connecting', 'healthy', 'reconnect', 'error', 'degraded'];
  // Hot-path children: the label set is resolved once per channel, not on every update.
  const receivedBy = byChannel((channel) => received.labels({ channel }));
  const forwardedBy = byChannel((channel) => forwarded.labels({ channel }));
  const deduplicatedBy = byChannel((channel) => deduplicated.labels({ channel }));
  const lagBy = byChannel((channel) => lag.labels({ channel }));

  return {
    registry,
    pipeline: {
      received: (channel, n = 1) => receivedBy(channel).inc(n),
      forwarded: (channel, n = 1) => forwardedBy(channel).inc(n),
      deduplicated: (channel, n = 1) => deduplicatedBy(channel).inc(n),
      dropped: (channel, reason) => dropped.inc({ channel, reason: reasonLabel(reason) }),
      lagSeconds: (channel, s) => lagBy(channel).observe(s),
    },
    sink: {
      sendLatencySeconds: (s) => sendLatency.observe(s),
      batchRecords: (n) => batch.observe(n),
      bufferBytes: (n) => bufferBytes.set(n),
      forwarded: (topic, n) => delivered.inc({ topic }, n),
      overflowed: (topic, n) => overflowed.inc({ topic }, n),
      sendFailed: (c) => sendFailed.inc({ error_class: c }),
    },
    // Labels from upstream data are bounded (label-values.ts): known values, else `other`.
    unknownMessage: (stream, type) => unknown.inc({ stream, type: messageTypeLabel(stream, type) }),
    reconnect: (stream, reason) => reconnects.inc({ stream, reason: reasonLabel(reason) }),
    streamState: (stream, status) => {
      for (const s of STATUSES) streamState.set({ stream, status: s }, s === status ? 1 : 0);
    },
    statusEventsPublished: (stream) => statusEvents.inc({ stream }),
    readiness: (state) => {
      ready.set(state.ready ? 1 : 0);
      gate.set({ gate: 'alpaca_ws' }, state.gates.alpaca_ws ? 1 : 0);
      gate.set({ gate: 'kafka' }, state.gates.kafka ? 1 : 0);
      gate.set(
        { gate: 'trade_updates' },
        state.gates.trade_updates === null ? -1 : state.gates.trade_updates ? 1 : 0,
      );
      for (const c of ERROR_CLASSES) errorClass.set({ error_class: c }, state.error_class === c ? 1 : 0);
    },
    configReloads: (result) => reloads.inc({ result }),
    gapFillFailure: (stream, reason) => gapFillFailures.inc({ stream, reason: reasonLabel(reason) }),
    tradeUpdatesGap: () => tradeUpdatesGaps.inc(),
    kafkaOverflowing: (on) => overflowing.set(on ? 1 : 0),
    heartbeat: (stream) => heartbeats.inc({ stream }),
    wsLagNow: (s) => lagNow.set(s),
    readBacklogFrom: (read) => {
      readBacklog = read;
    },
    backlogFrom: (read) => {
      backlog = read;
    },
    freshness: (report) => {
      for (const channel of ['trades', 'quotes', 'bars'] as const) {
        staleSymbols.set({ channel }, report.staleCounts[channel]);
        channelStale.set({ channel }, report.staleChannels.includes(channel) ? 1 : 0);
        const age = report.lastEventAgeMs[channel];
        if (age !== null) lastEventAge.set({ channel }, age / 1000);
      }
    },
    calendarOrigin: (origin) => {
      calendarFallback.set(origin === 'fallback' ? 1 : 0);
      calendarFetches.inc({ result: origin === 'alpaca' ? 'ok' : 'fallback' });
    },
  };
}
