/**
 * The forwarder's Kafka sink: the one interface the forwarder core codes against. Records are
 * buffered (bounded by bytes), accumulated for lingerMs or batchBytes, and sent with an
 * idempotent, acks=all, LZ4 producer, one batch in flight so a key's records never reorder,
 * a failed batch is retried before newer ones. Health turns not ok after 3 consecutive failures.
 */

export interface ProducedRecord {
  topic: string;
  key: string;
  value: string;
  headers?: Record<string, string>;
}

export type SinkErrorClass = 'kafka_auth' | 'kafka_metadata' | 'kafka_produce';

export interface SinkHealth {
  ok: boolean;
  errorClass: SinkErrorClass | null;
  reason: string | null;
  consecutiveFailures: number;
  bufferedBytes: number;
  bufferedRecords: number;
  overflowedRecords: number;
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
  /** Never throws for Kafka trouble; buffers; overflow is counted, logged, reported in health. */
  send(record: ProducedRecord): void;
  /** Everything buffered so far is acked (or the timeout passes, reporting what is left). */
  flush(timeoutMs?: number): Promise<void>;
  /** Flush then disconnect. */
  close(timeoutMs?: number): Promise<void>;
  health(): SinkHealth;
  onHealthChange(listener: (h: SinkHealth) => void): () => void;
}

export interface KafkaSinkConfig {
  brokers: string[];
  clientId: string;
  securityProtocol: 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
  sasl?: { mechanism: 'SCRAM-SHA-512' | 'SCRAM-SHA-256' | 'PLAIN'; username: string; password: string };
  tlsCaFile?: string;
  acks: -1 | 1 | 0;
  lingerMs: number;
  batchBytes: number;
  maxBufferBytes: number;
  topics: string[];
}
