/**
 * Reads topics of the test broker from the beginning, for the whole run, into memory; tests
 * await a predicate over what arrived instead of sleeping or re-reading.
 */
import { randomUUID } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import { type KafkaInfo, type ReadRecord, testKafka } from '../../infra/kafka/index.ts';

interface Waiter {
  check: () => boolean;
  resolve: () => void;
}

export class KafkaCollector {
  readonly records: ReadRecord[] = [];
  readonly #consumer: Consumer;
  readonly #topics: string[];
  readonly #waiters = new Set<Waiter>();
  #checkScheduled = false;

  constructor(info: KafkaInfo, topics: string[]) {
    this.#topics = topics;
    this.#consumer = testKafka(info).consumer({ groupId: `e2e-${randomUUID()}`, maxWaitTimeInMs: 200 });
  }

  async start(): Promise<void> {
    await this.#consumer.connect();
    await this.#consumer.subscribe({ topics: this.#topics, fromBeginning: true });
    await this.#consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {}))
          if (v !== undefined) headers[k] = v.toString();
        this.records.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? null,
          value: message.value?.toString() ?? null,
          headers,
        });
        this.#scheduleChecks();
      },
    });
  }

  /** Waiters are checked once per burst of records, not once per record. */
  #scheduleChecks(): void {
    if (this.#checkScheduled) return;
    this.#checkScheduled = true;
    setImmediate(() => {
      this.#checkScheduled = false;
      for (const w of [...this.#waiters]) {
        if (w.check()) {
          this.#waiters.delete(w);
          w.resolve();
        }
      }
    });
  }

  async stop(): Promise<void> {
    await this.#consumer.disconnect();
  }

  /**
   * Resolves with the first non-undefined result of `check` over every record read so far,
   * re-evaluated as records arrive; rejects after `timeoutMs` (a safety net) naming `what`.
   */
  waitFor<R>(
    check: (records: readonly ReadRecord[]) => R | undefined,
    opts: { timeoutMs?: number; what: string },
  ): Promise<R> {
    let result = check(this.records);
    if (result !== undefined) return Promise.resolve(result);
    const timeoutMs = opts.timeoutMs ?? 120_000;
    return new Promise<R>((resolve, reject) => {
      const waiter: Waiter = {
        check: () => {
          result = check(this.records);
          return result !== undefined;
        },
        resolve: () => {
          clearTimeout(timer);
          resolve(result as R);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for ${opts.what} (${this.records.length} records read)`,
          ),
        );
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }
}
