/**
 * One benchmark run in its own process (so RSS and CPU time are this client's alone): produces N
 * envelope-sized records through the forwarder's sink engine (createBatchingSink: buffer, linger,
 * batchBytes, one batch in flight) on the named client and prints a JSON result.
 *   node bench/kafka/run-one.ts <baseline|kafkajs|platformatic|librdkafka> <topic> <records>
 * with TEST_KAFKA set; BENCH_BATCH_BYTES, BENCH_LINGER_MS, BENCH_BUFFER_BYTES, BENCH_LISTENER,
 * BENCH_LIBRDKAFKA_DIR (librdkafka only). `baseline` builds the records and sends none: the cost
 * of the generator alone, which every other run includes.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createBatchingSink } from '../../forwarder/kafka/batching-sink.ts';
import type { SinkClient } from '../../forwarder/kafka/client.ts';
import { createPlatformaticClient } from '../../forwarder/kafka/platformatic-client.ts';
import type { KafkaSinkConfig } from '../../forwarder/kafka/sink.ts';
import { systemTimers } from '../../forwarder/kafka/timers.ts';
import { kafkaFromEnv } from '../../test/infra/kafka/index.ts';
import { envelope } from './envelope.ts';
import { createKafkajsClient } from './kafkajs-client.ts';
import { createLibrdkafkaClient, loadLibrdkafka } from './librdkafka-client.ts';

const CLIENTS = ['baseline', 'kafkajs', 'platformatic', 'librdkafka'] as const;
type ClientName = (typeof CLIENTS)[number];
const [clientArg, topic, recordsArg] = process.argv.slice(2);
const N = Number(recordsArg);
if (!CLIENTS.includes(clientArg as ClientName) || !topic || !Number.isInteger(N) || N <= 0) {
  throw new Error(`usage: run-one.ts <${CLIENTS.join('|')}> <topic> <records>`);
}
const clientName = clientArg as ClientName;
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
  compression: 'lz4',
  lingerMs: Number(process.env.BENCH_LINGER_MS ?? 30),
  batchBytes: Number(process.env.BENCH_BATCH_BYTES ?? 1_048_576),
  maxBufferBytes: Number(process.env.BENCH_BUFFER_BYTES ?? 64 * 1024 * 1024),
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

function client(): SinkClient {
  switch (clientName) {
    case 'kafkajs':
      return createKafkajsClient(config, logger, (t) => t, { caPem: kafka.caPem });
    case 'platformatic':
      return createPlatformaticClient(config, { caPem: kafka.caPem });
    case 'librdkafka':
      return createLibrdkafkaClient(
        loadLibrdkafka(process.env.BENCH_LIBRDKAFKA_DIR ?? ''),
        config,
        kafka.caFile,
      );
    case 'baseline':
      throw new Error('baseline has no client');
  }
}

let wake: (() => void) | null = null;
const metrics = {
  forwarded: () => {
    wake?.();
    wake = null;
  },
};

let bytes = 0;
// CPU and time from the first record on: connecting (TLS, SCRAM) and loading modules are not per-record costs.
let cpu0 = process.cpuUsage();
let t0 = process.hrtime.bigint();
let overflowed = 0;
let sink: ReturnType<typeof createBatchingSink> | undefined;
let leftBuffered = 0;
if (clientName === 'baseline') {
  for (let i = 0; i < N; i++) {
    const r = envelope(topic, i);
    bytes += r.value.length + r.key.length;
  }
} else {
  sink = createBatchingSink(
    client(),
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
  cpu0 = process.cpuUsage();
  t0 = process.hrtime.bigint();
  let i = 0;
  while (i < N) {
    // Feed like a live stream with back-pressure: keep at most half the buffer filled.
    while (i < N && sink.health().bufferedBytes < config.maxBufferBytes / 2) {
      const r = envelope(topic, i++);
      bytes += r.value.length + r.key.length;
      sink.send(r);
    }
    if (i < N) await new Promise<void>((r) => (wake = r));
  }
  await sink.flush(600_000);
  const h = sink.health();
  overflowed = h.overflowedRecords;
  leftBuffered = h.bufferedRecords;
}
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
await sink?.close();
process.stdout.write(
  `${JSON.stringify({
    client: clientName,
    batchBytes: config.batchBytes,
    records: N,
    avgRecordBytes: Math.round(bytes / N),
    seconds,
    recordsPerSecond: N / seconds,
    cpuMs: (cpu.user + cpu.system) / 1000,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    overflowed,
    leftBuffered,
  })}\n`,
);
