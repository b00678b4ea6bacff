/** Shared pieces of the Kafka sink integration tests: config for a test listener, captured logs, health waits. */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { EventSink, KafkaSinkConfig, SinkHealth } from '../../../forwarder/kafka/sink.ts';
import type { KafkaInfo, ReadRecord } from '../../infra/kafka/index.ts';

export function sinkConfig(
  kafka: KafkaInfo,
  listener: 'PLAINTEXT' | 'SASL_PLAINTEXT' | 'SASL_SSL',
  topics: string[],
  over: Partial<KafkaSinkConfig> = {},
): KafkaSinkConfig {
  const l = kafka.listener(listener);
  const base: KafkaSinkConfig = {
    brokers: [l.broker],
    clientId: 'sink-test',
    securityProtocol: listener,
    acks: -1,
    lingerMs: 20,
    batchBytes: 16_384,
    maxBufferBytes: 8 * 1024 * 1024,
    topics,
  };
  if (listener !== 'PLAINTEXT') base.sasl = { mechanism: 'SCRAM-SHA-512', ...kafka.user };
  if (listener === 'SASL_SSL') base.tlsCaFile = kafka.caFile;
  return { ...base, ...over };
}

/** A pino logger whose JSON lines are kept for assertions (e.g. that no password was logged). */
export function capturedLogger(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

/** Resolves with the first health (current or future) that satisfies pred; safety-net timeout. */
export function waitForHealth(
  sink: EventSink,
  pred: (h: SinkHealth) => boolean,
  timeoutMs = 90_000,
): Promise<SinkHealth> {
  const now = sink.health();
  if (pred(now)) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(
        new Error(
          `health condition not reached within ${timeoutMs} ms; last ${JSON.stringify(sink.health())}`,
        ),
      );
    }, timeoutMs);
    const off = sink.onHealthChange((h) => {
      if (pred(h)) {
        clearTimeout(timer);
        off();
        resolve(h);
      }
    });
  });
}

/** Values per key, in the order they were read (partition order = per-key order). */
export function valuesByKey(records: Pick<ReadRecord, 'key' | 'value'>[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const r of records) {
    const k = r.key ?? '';
    m.set(k, [...(m.get(k) ?? []), r.value ?? '']);
  }
  return m;
}
