/**
 * One benchmark run in its own process (so RSS and CPU time are the client's alone): produces N
 * envelope-sized records through the sink engine on the named client and prints a JSON result.
 * Usage (from main.ts): node bench/kafka/run-one.ts <kafkajs|platformatic> <topic> <records>
 * with TEST_KAFKA set.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createBatchingSink } from '../../forwarder/kafka/batching-sink.ts';
import { createKafkaSink, type EventSink, type KafkaSinkConfig } from '../../forwarder/kafka/sink.ts';
import { systemTimers } from '../../forwarder/kafka/timers.ts';
import { kafkaFromEnv } from '../../test/infra/kafka/index.ts';
import { envelope } from './envelope.ts';
import { createPlatformaticClient } from './platformatic-client.ts';

const [clientName, topic, recordsArg] = process.argv.slice(2);
const N = Number(recordsArg);
if ((clientName !== 'kafkajs' && clientName !== 'platformatic') || !topic || !Number.isInteger(N) || N <= 0) {
  throw new Error('usage: run-one.ts <kafkajs|platformatic> <topic> <records>');
}
const kafka = kafkaFromEnv();
const l = kafka.listener(process.env.BENCH_LISTENER ?? 'SASL_SSL');
const config: KafkaSinkConfig = {
  brokers: [l.broker],
  clientId: `bench-${clientName}`,
  securityProtocol: l.securityProtocol,
  ...(l.securityProtocol === 'PLAINTEXT'
    ? {}
    : { sasl: { mechanism: 'SCRAM-SHA-512' as const, ...kafka.user } }),
  ...(l.securityProtocol === 'SASL_SSL' ? { tlsCaFile: kafka.caFile } : {}),
  acks: -1,
  lingerMs: Number(process.env.BENCH_LINGER_MS ?? 30),
  batchBytes: Number(process.env.BENCH_BATCH_BYTES ?? 1_000_000),
  maxBufferBytes: 64 * 1024 * 1024,
  topics: [topic],
};
const logger = pino(
  { level: 'warn' },
  new Writable({
    write(chunk, _e, cb) {
      process.stderr.write(chunk);
      cb();
    },
  }),
);

let wake: (() => void) | null = null;
const metrics = {
  forwarded: () => {
    wake?.();
    wake = null;
  },
};
const sink: EventSink =
  clientName === 'kafkajs'
    ? createKafkaSink(config, { logger, metrics })
    : createBatchingSink(
        createPlatformaticClient(config, kafka.caPem),
        {
          topics: config.topics,
          lingerMs: config.lingerMs,
          batchBytes: config.batchBytes,
          maxBufferBytes: config.maxBufferBytes,
        },
        { logger, metrics, timers: systemTimers() },
      );

await sink.start();
if (!sink.health().ok) throw new Error(`sink not healthy after start: ${JSON.stringify(sink.health())}`);
const records = Array.from({ length: N }, (_, i) => envelope(topic, i));
const bytes = records.reduce((n, r) => n + Buffer.byteLength(r.value) + Buffer.byteLength(r.key), 0);
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
let i = 0;
while (i < N) {
  // Feed like a live stream with back-pressure: keep at most half the buffer filled.
  while (i < N && sink.health().bufferedBytes < config.maxBufferBytes / 2)
    sink.send(records[i++] as (typeof records)[number]);
  if (i < N) await new Promise<void>((r) => (wake = r));
}
await sink.flush(600_000);
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
const h = sink.health();
await sink.close();
process.stdout.write(
  `${JSON.stringify({
    client: clientName,
    records: N,
    avgRecordBytes: Math.round(bytes / N),
    seconds,
    recordsPerSecond: N / seconds,
    mbPerSecond: bytes / seconds / 1e6,
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    overflowed: h.overflowedRecords,
    leftBuffered: h.bufferedRecords,
  })}\n`,
);
