/**
 * Kafka client benchmark (not part of npm test): the forwarder's sink engine on kafkajs vs on
 * @platformatic/kafka, same settings (idempotent, acks=all, LZ4, linger 30 ms, batch 1 MB,
 * SASL_SSL SCRAM-SHA-512), N envelope-sized records each, against a private real broker. Each
 * run is a separate process; the topic's end offset is checked to equal N.
 *   node bench/kafka/main.ts [records=100000] [rounds=2]
 * Env: BENCH_LISTENER (SASL_SSL), BENCH_LINGER_MS (30), BENCH_BATCH_BYTES (1000000).
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTopics, prepareKafka, startPrivateKafka, withAdmin } from '../../test/infra/kafka/index.ts';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const N = Number(process.argv[2] ?? 100_000);
const rounds = Number(process.argv[3] ?? 2);

interface Result {
  client: string;
  records: number;
  avgRecordBytes: number;
  seconds: number;
  recordsPerSecond: number;
  mbPerSecond: number;
  cpuUserMs: number;
  cpuSystemMs: number;
  maxRssMb: number;
}

await prepareKafka();
const broker = await startPrivateKafka({ heap: { min: '512m', max: '1g' } });
const results: Result[] = [];
try {
  for (let round = 0; round < rounds; round++) {
    // Alternate the order so neither client always runs on a warmer broker.
    const order = round % 2 === 0 ? ['kafkajs', 'platformatic'] : ['platformatic', 'kafkajs'];
    for (const client of order) {
      const topic = `bench.${client}.${round}`;
      await createTopics(broker.info, [{ topic, numPartitions: 3 }]);
      const { stdout } = await run(process.execPath, [join(here, 'run-one.ts'), client, topic, String(N)], {
        env: { ...process.env, ...broker.env() },
        maxBuffer: 64 * 1024 * 1024,
      });
      const r = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Result;
      const offsets = await withAdmin(broker.info, (a) => a.fetchTopicOffsets(topic));
      const stored = offsets.reduce((n, p) => n + Number(p.high), 0);
      if (stored !== N) throw new Error(`${client}: topic ${topic} holds ${stored} records, expected ${N}`);
      results.push(r);
      process.stderr.write(`round ${round + 1} ${client}: ${Math.round(r.recordsPerSecond)} rec/s\n`);
    }
  }
} finally {
  await broker.stop();
}

const fmt = (n: number, d = 0) => n.toFixed(d).padStart(10);
console.log(
  `\nKafka sink benchmark: ${N} records of ~${results[0]?.avgRecordBytes ?? '?'} B, ${rounds} round(s), Node ${process.version}`,
);
console.log(
  `${'client'.padEnd(14)}${'rec/s'.padStart(10)}${'MB/s'.padStart(10)}${'seconds'.padStart(10)}${'cpu ms'.padStart(10)}${'maxRSS MB'.padStart(10)}`,
);
for (const r of results) {
  console.log(
    `${r.client.padEnd(14)}${fmt(r.recordsPerSecond)}${fmt(r.mbPerSecond, 2)}${fmt(r.seconds, 2)}${fmt(r.cpuUserMs + r.cpuSystemMs)}${fmt(r.maxRssMb, 1)}`,
  );
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] ?? Number.NaN) : ((s[m - 1] ?? Number.NaN) + (s[m] ?? Number.NaN)) / 2;
};
const of = (c: string, f: (r: Result) => number) => median(results.filter((r) => r.client === c).map(f));
const k = of('kafkajs', (r) => r.recordsPerSecond);
const p = of('platformatic', (r) => r.recordsPerSecond);
console.log(
  `\nmedian throughput: kafkajs ${Math.round(k)} rec/s, platformatic ${Math.round(p)} rec/s, ratio platformatic/kafkajs ${(p / k).toFixed(2)}`,
);
console.log(
  `median CPU per 1000 records: kafkajs ${(of('kafkajs', (r) => r.cpuUserMs + r.cpuSystemMs) / (N / 1000)).toFixed(1)} ms, platformatic ${(of('platformatic', (r) => r.cpuUserMs + r.cpuSystemMs) / (N / 1000)).toFixed(1)} ms`,
);
