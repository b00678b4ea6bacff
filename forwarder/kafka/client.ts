/**
 * The small internal seam between the sink's batching logic and a Kafka client library: connect,
 * check that topics exist, send one batch (acks/compression fixed by the adapter), disconnect.
 * platformatic-client.ts implements it for production, bench/kafka/ for other clients; unit tests
 * use a fake.
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
  /**
   * The records of a batch whose sendBatch failed that the broker wrote anyway (partitions acked
   * before or beside the failure), by identity with the batch's messages. The sink leaves them out
   * when it splits a refused batch, so they are not written twice. Without it, none are assumed.
   */
  delivered?(batch: OutBatch): ReadonlySet<OutRecord>;
  /**
   * Starts a new producer session (new producer id) after a sequence error the broker will not
   * accept from the current one (OUT_OF_ORDER_SEQUENCE_NUMBER, UNKNOWN_PRODUCER_ID, fenced epoch).
   * The unacked batch may then be written twice: the only duplicate source the sink accepts.
   */
  resetProducer?(): Promise<void>;
  /**
   * For a client that retries a failed send itself (keeping its producer id and sequence numbers,
   * so the broker drops what it already wrote): the sink's listener for each failed attempt, so
   * health and metrics see an outage while sendBatch is still pending.
   */
  onAttemptFailed?(listener: (err: unknown) => void): void;
}
