/**
 * Kafka client benchmark (not part of npm test): the forwarder's sink engine on kafkajs,
 * @platformatic/kafka and @confluentinc/kafka-javascript (librdkafka), same settings (idempotent,
 * acks=all, LZ4, linger 30 ms, key = symbol, SASL_SSL SCRAM-SHA-512, envelope-sized values),
 * against one private real broker, variants interleaved over rounds (each run its own process
 * and topic). Every record is read back (kafkajs consumer) and counted: lost, duplicated, out of
 * per-key order. Default: 200 000 records of ~520 B per run, 104 MB through a 64 MiB buffer.
 *   node bench/kafka/main.ts [--records 200000] [--rounds 3]
 *     [--variants kafkajs@1048576,platformatic@1048576,librdkafka@1048576,platformatic@32768,platformatic@262144]
 * librdkafka is installed by install-librdkafka.sh into ~/.cache/torghut-alpaca/bench/; when
 * that fails the benchmark says so and runs without it.
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { createTopics, prepareKafka, readTopic, startPrivateKafka } from '../../test/infra/kafka/index.ts';
import { measurePartitioners } from './partitioners.ts';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '3' },
    variants: {
      type: 'string',
      default:
        'kafkajs@1048576,platformatic@1048576,librdkafka@1048576,platformatic@32768,platformatic@262144',
    },
  },
});
const N = Number(args.records);
const rounds = Number(args.rounds);
const SEQ_BASE = 1_763_650_000_000_000;

interface Result {
  client: string;
  batchBytes: number;
  records: number;
  avgRecordBytes: number;
  seconds: number;
  recordsPerSecond: number;
  cpuMs: number;
  maxRssMb: number;
  overflowed: number;
  leftBuffered: number;
  inKafka: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
}

let variants = args.variants.split(',').map((v) => {
  const [client = '', batch = '1048576'] = v.split('@');
  return { client, batchBytes: Number(batch), name: `${client}@${batch}` };
});

let librdkafkaDir = '';
if (variants.some((v) => v.client === 'librdkafka')) {
  process.stderr.write('installing @confluentinc/kafka-javascript (librdkafka native build, cached)...\n');
  try {
    const { stdout } = await run('bash', [join(here, 'install-librdkafka.sh')], {
      timeout: 30 * 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    librdkafkaDir = stdout.trim().split('\n').pop() ?? '';
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    console.log(
      `librdkafka (@confluentinc/kafka-javascript): NOT INSTALLABLE from the registries here, left out of this run:\n${(e.stderr ?? e.message).trim()}`,
    );
    variants = variants.filter((v) => v.client !== 'librdkafka');
  }
}

await prepareKafka();
const broker = await startPrivateKafka({ heap: { min: '512m', max: '1g' } });
const results: Result[] = [];
let baseline: { cpuMs: number; maxRssMb: number } | null = null;

async function runOne(client: string, batchBytes: number, topic: string): Promise<Result> {
  const { stdout } = await run(process.execPath, [join(here, 'run-one.ts'), client, topic, String(N)], {
    env: {
      ...process.env,
      ...broker.env(),
      BENCH_BATCH_BYTES: String(batchBytes),
      BENCH_LIBRDKAFKA_DIR: librdkafkaDir,
    },
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Result;
}

/** Reads the topic back and counts every envelope's seq: lost, duplicated, out of per-key order. */
async function verify(
  topic: string,
): Promise<Pick<Result, 'inKafka' | 'lost' | 'duplicated' | 'outOfOrder'>> {
  const got = await readTopic(broker.info, topic, { timeoutMs: 600_000 });
  const seen = new Uint8Array(N);
  const lastByKey = new Map<string, number>();
  let duplicated = 0;
  let outOfOrder = 0;
  for (const r of got) {
    const seq = (JSON.parse(r.value ?? '{}') as { seq: number }).seq - SEQ_BASE;
    if (seen[seq]) duplicated++;
    seen[seq] = 1;
    const k = r.key ?? '';
    if ((lastByKey.get(k) ?? -1) >= seq) outOfOrder++;
    lastByKey.set(k, seq);
  }
  const distinct = seen.reduce((n, b) => n + b, 0);
  return { inKafka: got.length, lost: N - distinct, duplicated, outOfOrder };
}

let partitionerLines: string[] = [];
try {
  const b = await runOne('baseline', 0, 'bench.baseline');
  baseline = { cpuMs: b.cpuMs, maxRssMb: b.maxRssMb };
  for (let round = 0; round < rounds; round++) {
    // Rotate the order so no variant always runs first or last (on a warmer or busier broker).
    const order = variants.map(
      (_, i) => variants[(i + round) % variants.length] as (typeof variants)[number],
    );
    for (const v of order) {
      const topic = `bench.${v.client}.${v.batchBytes}.${round}`;
      await createTopics(broker.info, [{ topic, numPartitions: 3 }]);
      const r = { ...(await runOne(v.client, v.batchBytes, topic)), ...(await verify(topic)) };
      results.push(r);
      process.stderr.write(
        `round ${round + 1} ${v.name}: ${Math.round(r.recordsPerSecond)} rec/s, ${((r.cpuMs / N) * 1000).toFixed(1)} ms CPU/1k, lost ${r.lost}, dup ${r.duplicated}\n`,
      );
    }
  }
  partitionerLines = await measurePartitioners();
} finally {
  await broker.stop();
}

const pad = (s: string | number, w = 11) => String(s).padStart(w);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] ?? Number.NaN) : ((s[m - 1] ?? Number.NaN) + (s[m] ?? Number.NaN)) / 2;
};
console.log(
  `\nKafka client benchmark: ${N} records of ~${results[0]?.avgRecordBytes ?? '?'} B per run, ${rounds} round(s), Node ${process.version}; idempotent, acks=all, lz4, linger 30 ms, 64 MiB buffer, SASL_SSL SCRAM-SHA-512`,
);
console.log(
  `generator alone (baseline, in every figure below): ${((baseline?.cpuMs ?? 0) / (N / 1000)).toFixed(1)} ms CPU per 1000 records, peak RSS ${(baseline?.maxRssMb ?? 0).toFixed(0)} MB`,
);
console.log(
  `${'variant'.padEnd(22)}${pad('rec/s')}${pad('ms CPU/1k')}${pad('peakRSS MB')}${pad('in Kafka')}${pad('lost')}${pad('dup')}${pad('misorder')}`,
);
const byVariant = variants.map((v) => ({
  ...v,
  runs: results.filter((r) => r.client === v.client && r.batchBytes === v.batchBytes),
}));
for (const v of byVariant) {
  for (const r of v.runs) {
    console.log(
      `${v.name.padEnd(22)}${pad(Math.round(r.recordsPerSecond))}${pad(((r.cpuMs / N) * 1000).toFixed(1))}${pad(r.maxRssMb.toFixed(0))}${pad(r.inKafka)}${pad(r.lost)}${pad(r.duplicated)}${pad(r.outOfOrder)}`,
    );
  }
}
const ref = byVariant.find((v) => v.client === 'kafkajs') ?? byVariant[0];
const med = (v: (typeof byVariant)[number], f: (r: Result) => number) => median(v.runs.map(f));
console.log(`\nmedians (ratios against ${ref?.name})`);
console.log(
  `${'variant'.padEnd(22)}${pad('rec/s')}${pad('ms CPU/1k')}${pad('peakRSS MB')}${pad('rec/s ×')}${pad('CPU ×')}${pad('RSS ×')}`,
);
for (const v of byVariant) {
  if (!ref) break;
  const rate = med(v, (r) => r.recordsPerSecond);
  const cpu = med(v, (r) => (r.cpuMs / N) * 1000);
  const rss = med(v, (r) => r.maxRssMb);
  console.log(
    `${v.name.padEnd(22)}${pad(Math.round(rate))}${pad(cpu.toFixed(1))}${pad(rss.toFixed(0))}${pad((rate / med(ref, (r) => r.recordsPerSecond)).toFixed(2))}${pad((cpu / med(ref, (r) => (r.cpuMs / N) * 1000)).toFixed(2))}${pad((rss / med(ref, (r) => r.maxRssMb)).toFixed(2))}`,
  );
}
console.log('\nkey partitioner, one key of the given length (ms; the forwarder keys by symbol):');
for (const line of partitionerLines) console.log(line);
const bad = results.filter((r) => r.lost > 0 || r.duplicated > 0 || r.outOfOrder > 0 || r.overflowed > 0);
if (bad.length > 0) {
  console.log(`\nFAIL: ${bad.length} run(s) lost, duplicated, reordered or refused records`);
  process.exitCode = 1;
}
