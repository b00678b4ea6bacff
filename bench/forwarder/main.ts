/**
 * Forwarder end-to-end benchmark (not part of npm test): the real forwarder CLI as a child
 * process, fed by the Alpaca simulator's generated mode at a fixed offered rate, producing to a
 * private Kafka broker (PLAINTEXT, Lease off). Variants run interleaved A B A B … over several
 * rounds; each run offers exactly `events` messages and checks that every one is in Kafka.
 *   A = msgpack frames (the forwarder's default), B = JSON frames,
 *   C (with --dedup-cap N) = msgpack with DEDUP_MAX_ENTRIES=N.
 * Prints per run and median figures and the ratios against A. The machine is shared and noisy:
 * compare the ratios, not the absolute times.
 *   node bench/forwarder/main.ts [--rounds 3] [--rate 20000] [--events 100000] [--symbols 50] [--dedup-cap N] [--no-warmup]
 */
import { parseArgs } from 'node:util';
import { type KafkaBroker, prepareKafka, startPrivateKafka } from '../../test/infra/kafka/index.ts';
import { type AlpacaSim, startAlpacaSim } from '../../test/sim/alpaca/index.ts';
import { machineLoad } from './proc-stats.ts';
import { type RunResult, type RunSettings, runOnce, type Variant } from './run-once.ts';
import { printReport } from './table.ts';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    rate: { type: 'string', default: '20000' },
    events: { type: 'string', default: '100000' },
    symbols: { type: 'string', default: '50' },
    'dedup-cap': { type: 'string' },
    'no-warmup': { type: 'boolean', default: false },
  },
});
const positiveInt = (name: string, raw: string | undefined): number => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) {
    process.stderr.write(`--${name} must be a positive integer, got ${JSON.stringify(raw)}\n`);
    process.exit(2);
  }
  return n;
};
const rounds = positiveInt('rounds', args.rounds);
const rate = positiveInt('rate', args.rate);
const events = positiveInt('events', args.events);
const symbolCount = positiveInt('symbols', args.symbols);
const dedupCap = args['dedup-cap'] === undefined ? null : positiveInt('dedup-cap', args['dedup-cap']);

const variants: Variant[] = [
  { name: 'A msgpack', encoding: 'msgpack', env: {} },
  { name: 'B json', encoding: 'json', env: {} },
  ...(dedupCap === null
    ? []
    : [
        {
          name: `C dedup≤${dedupCap}`,
          encoding: 'msgpack' as const,
          env: { DEDUP_MAX_ENTRIES: String(dedupCap) },
        },
      ]),
];
const warmup = args['no-warmup'] !== true;
const symbols = Array.from({ length: symbolCount }, (_, i) => `BN${String(i).padStart(3, '0')}`);
const KEY_ID = 'PKBENCH0000001';
const SECRET = 'sk-bench-forwarder-0001';

const runSettings = (n: number): RunSettings => ({ events: n, rate, symbols, keyId: KEY_ID, secret: SECRET });

let broker: KafkaBroker | null = null;
let sim: AlpacaSim | null = null;
let stopChild: (() => Promise<unknown>) | null = null;
let cleaning: Promise<void> | null = null;
/** Stops everything this benchmark started (child forwarder, simulator, broker); runs once. */
const cleanup = (): Promise<void> => {
  cleaning ??= (async () => {
    await stopChild?.().catch(() => {});
    await sim?.close().catch(() => {});
    await broker?.stop().catch(() => {});
  })();
  return cleaning;
};
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping the forwarder, simulator and broker\n`);
    void cleanup().finally(() => process.exit(130));
  });

const loadBefore = machineLoad();
const results: RunResult[] = [];
const started = Date.now();
try {
  await prepareKafka();
  broker = await startPrivateKafka({ heap: { min: '512m', max: '1g' } });
  sim = await startAlpacaSim({
    accounts: {
      [KEY_ID]: { secret: SECRET, feeds: ['iex', 'sip', 'delayed_sip', 'test'], symbolLimit: null },
    },
    logFrames: false,
    testStream: false,
  });
  // One warm-up run (fresh broker and JIT), not reported: the first run is slower for everyone.
  if (warmup) {
    const w = await runOnce(
      broker,
      sim,
      variants[0] as Variant,
      0,
      runSettings(Math.ceil(events / 4)),
      (s) => {
        stopChild = s;
      },
    );
    process.stderr.write(`warm-up ${w.variant}: ${w.inKafka}/${w.offered} in Kafka (not reported)\n`);
  }
  for (let round = 0; round < rounds; round++) {
    // Alternate the order so no variant always runs first (warmer broker, page cache).
    const order = round % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) {
      const r = await runOnce(broker, sim, v, round + 1, runSettings(events), (s) => {
        stopChild = s;
      });
      results.push(r);
      process.stderr.write(
        `round ${round + 1} ${v.name}: ${r.inKafka}/${r.offered} in Kafka, ${Math.round(r.eventsPerSecond)} ev/s, ` +
          `p99 ${r.kafkaP99Ms.toFixed(0)} ms, CPU ${r.cpuMs.toFixed(0)} ms, peak RSS ${r.peakRssMb.toFixed(0)} MB\n`,
      );
    }
  }
} finally {
  await cleanup();
}

printReport(results, variants, {
  rounds,
  rate,
  events,
  symbols: symbolCount,
  seconds: (Date.now() - started) / 1000,
  loadBefore,
  loadAfter: machineLoad(),
});
const lossy = results.filter((r) => r.lost !== 0 || r.dropped !== 0);
const wrongWire = results.filter(
  (r) => r.wireEncoding !== variants.find((v) => v.name === r.variant)?.encoding,
);
if (wrongWire.length > 0) console.log(`\nFAIL: wire encoding not as intended in ${wrongWire.length} run(s)`);
if (lossy.length > 0) console.log(`\nFAIL: events lost or dropped in ${lossy.length} run(s)`);
process.exitCode = lossy.length > 0 || wrongWire.length > 0 ? 1 : 0;
