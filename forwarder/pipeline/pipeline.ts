/**
 * AlpacaEvent → dedup → seq → envelope → sink. One call per batch of decoded events; never
 * throws for a bad event: it is counted as dropped (with a reason) and logged.
 */
import type { Logger } from 'pino';
import { FIELD_BOUNDS } from '../alpaca/field-bounds.ts';
import type { AlpacaEvent } from '../alpaca/types.ts';
import type { TopicNames } from '../config/types.ts';
import type { EventSink } from '../kafka/sink.ts';
import type { DedupCache } from './dedup.ts';
import { dedupKey } from './dedup-key.ts';
import { buildEnvelope } from './envelope.ts';
import { topicFor } from './routing.ts';
import type { SeqAllocator } from './seq.ts';
import { ChannelTally } from './tally.ts';
import { formatMicros, type MicrosClock, parseEventMs } from './time.ts';

/** Counters take a count: the pipeline adds up each batch and reports once per channel. */
export interface PipelineMetrics {
  received(channel: string, n?: number): void;
  forwarded(channel: string, n?: number): void;
  deduplicated(channel: string, n?: number): void;
  dropped(channel: string, reason: string): void;
  lagSeconds(channel: string, seconds: number): void;
}

export interface PipelineDeps {
  feed: string;
  topics: TopicNames;
  dedup: DedupCache;
  seq: SeqAllocator;
  sink: Pick<EventSink, 'send'>;
  metrics: PipelineMetrics;
  logger: Logger;
  nowMicros: MicrosClock;
}

export interface Pipeline {
  handle(events: readonly AlpacaEvent[]): void;
}

export function createPipeline(deps: PipelineDeps): Pipeline {
  const { metrics, logger } = deps;
  const debug = logger.isLevelEnabled('debug');

  // One clock read per batch (one frame or REST page): its events were read together, so they
  // share ingest_ts and the dedup clock, and the ingest_ts string is formatted once per batch.
  function handleOne(event: AlpacaEvent, tally: ChannelTally, nowMicros: number, ingestTs: string): void {
    tally.received(event.channel);
    if (typeof event.symbol !== 'string' || event.symbol.length === 0) {
      metrics.dropped(event.channel, 'missing_symbol');
      logger.warn({ channel: event.channel, source: event.source }, 'dropped event without a symbol');
      return;
    }
    // The symbol is the Kafka key: decode already bounds it; a key past the bound never reaches
    // the sink (kafkajs 2.2.4's partitioner is quadratic in the key length).
    if (event.symbol.length > FIELD_BOUNDS.symbolChars) {
      metrics.dropped(event.channel, 'oversized_symbol');
      return;
    }
    const nowMs = Math.floor(nowMicros / 1000);
    const key = dedupKey(event);
    if (deps.dedup.isDuplicate(key, nowMs)) {
      tally.deduplicated(event.channel);
      if (debug)
        logger.debug({ channel: event.channel, symbol: event.symbol, dedup_key: key }, 'duplicate dropped');
      return;
    }
    const seq = deps.seq.next(event.channel, event.symbol);
    const envelope = buildEnvelope(event, {
      feed: deps.feed,
      seq,
      dedupKey: key,
      ingestMicros: nowMicros,
      ingestTs,
    });
    let value: string;
    try {
      value = JSON.stringify(envelope);
    } catch {
      metrics.dropped(event.channel, 'unserialisable_payload');
      logger.error(
        { channel: event.channel, symbol: event.symbol, seq },
        'dropped event: payload not serialisable',
      );
      return;
    }
    if (!deps.sink.send({ topic: topicFor(event.channel, deps.topics), key: event.symbol, value })) {
      // Refused (buffer full): the sink counted and logged it. Forget the key so a later copy
      // (REST gap fill, replay) of this event is forwarded instead of dropped as a duplicate.
      deps.dedup.forget(key);
      return;
    }
    tally.forwarded(event.channel);
    // REST events are old by design: their lag would distort the live WS lag histogram.
    if (event.source === 'ws' && event.eventTs !== null) tally.wsEventTs(event.channel, event.eventTs);
    if (debug) {
      const eventMs = parseEventMs(event.eventTs);
      logger.debug(
        {
          channel: event.channel,
          symbol: event.symbol,
          seq,
          source: event.source,
          event_ts: event.eventTs,
          ingest_ts: envelope.ingest_ts,
          lag_ms: Number.isNaN(eventMs) ? null : nowMs - eventMs,
        },
        'event forwarded',
      );
    }
  }

  return {
    handle(events) {
      const tally = new ChannelTally();
      const nowMicros = deps.nowMicros();
      const ingestTs = formatMicros(nowMicros);
      for (const event of events) {
        try {
          handleOne(event, tally, nowMicros, ingestTs);
        } catch (err) {
          metrics.dropped(event.channel, 'pipeline_error');
          logger.error(
            { err, channel: event.channel, symbol: event.symbol },
            'dropped event: pipeline error',
          );
        }
      }
      tally.report(metrics, Math.floor(nowMicros / 1000));
    },
  };
}
