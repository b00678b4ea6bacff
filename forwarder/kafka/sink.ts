/**
 * The forwarder's Kafka sink: the one interface the forwarder core codes against. Records are
 * buffered (bounded by bytes), accumulated for lingerMs or batchBytes, and sent with an
 * idempotent, acks=all, LZ4 producer (@platformatic/kafka), one request in flight (up to 4 ×
 * batchBytes when a backlog is buffered) so a key's records never reorder, a failed batch is
 * retried before newer ones, one refused as too large is split in halves. Health turns not ok
 * after 3 consecutive failures.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { SinkErrorClass } from '../../lib/kafka/classify.ts';
import { createBatchingSink } from './batching-sink.ts';
import { createPlatformaticClient } from './platformatic-client.ts';
import { secretScrubber } from './secret-scrubber.ts';
import { describeSinkConfig, KafkaSinkConfigError, validateSinkConfig } from './sink-config.ts';
import { systemTimers } from './timers.ts';

export interface ProducedRecord {
  topic: string;
  key: string;
  value: string;
  headers?: Record<string, string>;
}

export type { SinkErrorClass };

export interface SinkHealth {
  ok: boolean;
  errorClass: SinkErrorClass | null;
  reason: string | null;
  consecutiveFailures: number;
  bufferedBytes: number;
  bufferedRecords: number;
  overflowedRecords: number;
  /** With reason kafka_topic_missing: the topics found missing (sorted), when known. */
  missingTopics?: string[];
}

/** Optional hooks the forwarder wires to prom-client. */
export interface SinkMetrics {
  sendLatencySeconds?(s: number): void;
  batchRecords?(n: number): void;
  bufferBytes?(n: number): void;
  forwarded?(topic: string, n: number): void;
  overflowed?(topic: string, n: number): void;
  sendFailed?(errorClass: SinkErrorClass): void;
}

export interface EventSink {
  /** Connect + metadata check of every configured topic; resolves even if Kafka is down (health says why) and keeps retrying. */
  start(): Promise<void>;
  /**
   * Never throws for Kafka trouble; buffers. Returns false when the record was refused (buffer
   * full or sink closed): the refusal is counted, logged and reported in health by the sink.
   */
  send(record: ProducedRecord): boolean;
  /** Everything buffered so far is acked (or the timeout passes, reporting what is left). */
  flush(timeoutMs?: number): Promise<void>;
  /** Flush then disconnect. */
  close(timeoutMs?: number): Promise<void>;
  health(): SinkHealth;
  /** Bytes of records accepted and not yet acked (buffered, in flight, or isolated for retry). */
  bufferedBytes(): number;
  /**
   * Resolves once bufferedBytes() is at or below `bytes` (at once when it already is), or the sink
   * is closed. Producers that can wait (the REST backfill) pace themselves with it so they never
   * fill the buffer that live events need.
   */
  whenBelow(bytes: number): Promise<void>;
  onHealthChange(listener: (h: SinkHealth) => void): () => void;
}

export interface KafkaSinkConfig {
  brokers: string[];
  clientId: string;
  securityProtocol: 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
  sasl?: { mechanism: 'SCRAM-SHA-512' | 'SCRAM-SHA-256' | 'PLAIN'; username: string; password: string };
  tlsCaFile?: string;
  /** Mutual TLS: PEM client certificate and key files (both or neither; SSL or SASL_SSL). */
  tlsCertFile?: string;
  tlsKeyFile?: string;
  acks: -1 | 1 | 0;
  /** Record batch compression (KAFKA_COMPRESSION); default lz4. */
  compression?: 'lz4' | 'none';
  lingerMs: number;
  batchBytes: number;
  maxBufferBytes: number;
  topics: string[];
  /** Capacity above maxBufferBytes for these topics only (the status lane). */
  reserved?: { topics: string[]; bytes: number };
}

export { KafkaSinkConfigError } from './sink-config.ts';

/**
 * The production sink: @platformatic/kafka (idempotent when acks=-1, LZ4) behind the batching engine.
 * Throws KafkaSinkConfigError for a bad config; never throws for Kafka trouble afterwards.
 */
/** A PEM file's text; a KafkaSinkConfigError naming the field when unreadable or not PEM. */
function readPem(field: string, file: string | undefined, marker: string): string | undefined {
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new KafkaSinkConfigError([
      `${field}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    ]);
  }
  if (!text.includes(marker))
    throw new KafkaSinkConfigError([
      `${field}: ${file} holds no PEM ${marker.includes('KEY') ? 'key' : 'certificate'}`,
    ]);
  return text;
}

export function createKafkaSink(
  config: KafkaSinkConfig,
  deps: { logger: Logger; metrics?: SinkMetrics; now?: () => number },
): EventSink {
  validateSinkConfig(config);
  const logger = deps.logger.child({ component: 'kafka-sink' });
  const scrub = secretScrubber(config.sasl ? [config.sasl.password] : []);
  logger.info({ config: describeSinkConfig(config) }, 'kafka sink configured');
  let caPem: string | undefined;
  if (config.tlsCaFile !== undefined) {
    try {
      caPem = readFileSync(config.tlsCaFile, 'utf8');
    } catch (err) {
      throw new KafkaSinkConfigError([
        `tlsCaFile: cannot read ${config.tlsCaFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      ]);
    }
    if (!caPem.includes('-----BEGIN CERTIFICATE-----')) {
      throw new KafkaSinkConfigError([`tlsCaFile: ${config.tlsCaFile} holds no PEM certificate`]);
    }
  }
  const clientCertPem = readPem('tlsCertFile', config.tlsCertFile, '-----BEGIN CERTIFICATE-----');
  const clientKeyPem = readPem('tlsKeyFile', config.tlsKeyFile, 'PRIVATE KEY-----');
  const client = createPlatformaticClient(config, {
    ...(caPem ? { caPem } : {}),
    ...(clientCertPem && clientKeyPem ? { clientCertPem, clientKeyPem } : {}),
  });
  return createBatchingSink(
    client,
    {
      topics: config.topics,
      lingerMs: config.lingerMs,
      batchBytes: config.batchBytes,
      maxBufferBytes: config.maxBufferBytes,
      ...(config.reserved ? { reserved: config.reserved } : {}),
    },
    { logger, timers: systemTimers(deps.now), scrub, ...(deps.metrics ? { metrics: deps.metrics } : {}) },
  );
}
