/**
 * The small internal seam between the sink's batching logic and a Kafka client library: connect,
 * check that topics exist, send one batch (acks/compression fixed by the adapter), disconnect.
 * kafkajs-client.ts implements it; unit tests use a fake.
 */
export interface OutRecord {
  key: string;
  value: string;
  headers?: Record<string, string>;
}

export interface OutBatch {
  /** Per topic, records in the order they were accepted (the adapter must keep that order). */
  topicMessages: { topic: string; messages: OutRecord[] }[];
}

export interface SinkClient {
  /** Establishes the connection (idempotent; also called again after a connection-class failure). */
  connect(): Promise<void>;
  /** Rejects (with a classifiable error) unless every topic exists and has partitions. */
  checkTopics(topics: string[]): Promise<void>;
  /** Resolves when the broker acked the whole batch; rejects otherwise. */
  sendBatch(batch: OutBatch): Promise<void>;
  disconnect(): Promise<void>;
}
