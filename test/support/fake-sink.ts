/** An in-memory EventSink for unit tests (integration tests use the real Kafka sink). */
import type { EventSink, ProducedRecord, SinkHealth } from '../../forwarder/kafka/sink.ts';

/** The health of a sink with nothing buffered and no failure. */
export const HEALTHY_SINK: Readonly<SinkHealth> = {
  ok: true,
  errorClass: null,
  reason: null,
  consecutiveFailures: 0,
  bufferedBytes: 0,
  bufferedRecords: 0,
  overflowedRecords: 0,
};

export class MemorySink implements EventSink {
  readonly records: ProducedRecord[] = [];
  /** When true, send() refuses records like a full buffer does. */
  refuse = false;
  #health: SinkHealth = { ...HEALTHY_SINK };
  readonly #listeners = new Set<(h: SinkHealth) => void>();
  async start(): Promise<void> {}
  send(record: ProducedRecord): boolean {
    if (this.refuse) return false;
    this.records.push(record);
    return true;
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
  health(): SinkHealth {
    return this.#health;
  }
  bufferedBytes(): number {
    return this.#health.bufferedBytes;
  }
  async whenBelow(): Promise<void> {}
  setHealth(patch: Partial<SinkHealth>): void {
    this.#health = { ...this.#health, ...patch };
    for (const l of this.#listeners) l(this.#health);
  }
  onHealthChange(listener: (h: SinkHealth) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
