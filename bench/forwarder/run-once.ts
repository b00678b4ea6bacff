/**
 * One benchmark run: fresh topics, the forwarder CLI as a child, the simulator's generated mode
 * at a fixed rate until exactly `events` messages the forwarder subscribes to were offered, then
 * wait until all are in Kafka (or a bound), read the child's CPU and peak RSS from /proc, stop
 * it, and read the topics back for counts and latencies.
 */
import { randomUUID } from 'node:crypto';
import type { KafkaBroker } from '../../test/infra/kafka/index.ts';
import { createTopics } from '../../test/infra/kafka/index.ts';
import type { AlpacaSim } from '../../test/sim/alpaca/index.ts';
import { spawnForwarder } from './forwarder-child.ts';
import { readProcStats } from './proc-stats.ts';
import { sumMetric } from './prom-text.ts';
import { createBenchTopics, readBack } from './read-back.ts';
import { percentile } from './stats.ts';

export interface Variant {
  name: string;
  encoding: 'msgpack' | 'json';
  /** Extra forwarder env (e.g. DEDUP_MAX_ENTRIES). */
  env: Record<string, string>;
}

export interface RunSettings {
  events: number;
  rate: number;
  symbols: string[];
  keyId: string;
  secret: string;
}

export interface RunResult {
  variant: string;
  round: number;
  offered: number;
  inKafka: number;
  deduplicated: number;
  dropped: number;
  /** offered − in Kafka − deduplicated (must be 0). */
  lost: number;
  /** Records in Kafka / (last LogAppendTime − generator start). */
  eventsPerSecond: number;
  ingestP50Ms: number;
  ingestP99Ms: number;
  kafkaP50Ms: number;
  kafkaP99Ms: number;
  kafkaMaxMs: number;
  /** Forwarder CPU (user+sys) from the first offered event until all were in Kafka. */
  cpuMs: number;
  cpuMsPer1k: number;
  /** Forwarder CPU ms per second while connected with no events (measured before each run). */
  idleCpuMsPerS: number;
  peakRssMb: number;
  wireEncoding: string;
}

/** Message types the forwarder's default subscription (trades, quotes, bars, updatedBars) admits. */
const ADMITTED = new Set(['t', 'q', 'c', 'x', 'b', 'u']);

const IDLE_WINDOW_MS = 2_000;

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runOnce(
  broker: KafkaBroker,
  sim: AlpacaSim,
  variant: Variant,
  round: number,
  s: RunSettings,
  onChild: (stop: (() => Promise<unknown>) | null) => void,
): Promise<RunResult> {
  const id = randomUUID().slice(0, 8);
  const topics = {
    trades: `bench.trades.${id}`,
    quotes: `bench.quotes.${id}`,
    bars: `bench.bars.${id}`,
    status: `bench.status.${id}`,
  };
  const specs = [
    { topic: topics.trades, numPartitions: 3 },
    { topic: topics.quotes, numPartitions: 3 },
    { topic: topics.bars, numPartitions: 1 },
    { topic: topics.status, numPartitions: 1 },
  ];
  await createBenchTopics(broker.info, specs);
  await createTopics(broker.info, specs); // waits until every partition's leader serves it
  const listener = broker.info.listener('PLAINTEXT');
  const child = spawnForwarder({
    ALPACA_KEY_ID: s.keyId,
    ALPACA_SECRET_KEY: s.secret,
    ALPACA_FEED: 'sip',
    ALPACA_STREAM_URL: sim.urls.stream,
    ALPACA_BASE_URL: sim.urls.rest,
    SYMBOLS: s.symbols.join(','),
    KAFKA_BOOTSTRAP: listener.broker,
    KAFKA_SECURITY_PROTOCOL: 'PLAINTEXT',
    TOPIC_TRADES: topics.trades,
    TOPIC_QUOTES: topics.quotes,
    TOPIC_BARS_1M: topics.bars,
    TOPIC_STATUS: topics.status,
    TOPIC_TRADE_UPDATES: `bench.tu.${id}`,
    HEALTH_PORT: '0',
    METRICS_PORT: '0',
    LEASE_ENABLED: 'false',
    LOG_LEVEL: 'info',
    ALPACA_WS_ENCODING: variant.encoding,
    ...variant.env,
  });
  onChild(() => child.stop(5_000));
  try {
    const listening = await child.waitForLog((l) => l.msg === 'health server listening');
    const base = `http://127.0.0.1:${String(listening.health_port)}`;
    await waitFor(async () => (await fetch(`${base}/readyz`)).status === 200, 60_000, 'forwarder ready');
    const conn = sim.log.connectionList().find((c) => c.kind === 'market' && c.closedAt === null);
    if (conn === undefined) throw new Error('no open market-data connection in the simulator');

    // Offer exactly `events` admitted messages: the generator's pushes pass through this filter
    // (only those: other pushes, e.g. a FAKEPACA test stream, are passed on and not counted).
    const ours = new Set(s.symbols);
    let offered = 0;
    let finished!: () => void;
    const allOffered = new Promise<void>((r) => {
      finished = r;
    });
    const push = sim.push.bind(sim);
    sim.push = (messages, opts) => {
      if (opts?.feed !== 'sip') return push(messages, opts);
      const take = messages
        .filter((m) => {
          const { T, S } = m as { T?: unknown; S?: unknown };
          return ADMITTED.has(String(T)) && ours.has(String(S));
        })
        .slice(0, s.events - offered);
      offered += take.length;
      if (take.length > 0) push(take, opts);
      if (offered >= s.events) finished();
    };
    // CPU while connected and idle (no events), as a baseline for the per-event figure.
    const idleFrom = readProcStats(child.pid).cpuMs;
    await pause(IDLE_WINDOW_MS);
    const cpuBefore = readProcStats(child.pid).cpuMs;
    const idleCpuMsPerS = ((cpuBefore - idleFrom) * 1000) / IDLE_WINDOW_MS;
    const startMs = Date.now();
    const gen = sim.generate({ eventsPerSecond: s.rate, symbols: s.symbols, feed: 'sip', seed: round + 1 });
    try {
      await allOffered;
    } finally {
      gen.stop();
      sim.push = push;
    }
    // All offered: wait until the forwarder read them all and Kafka acknowledged what it forwarded.
    const dataTopic = (l: string) => !l.includes(`topic="${topics.status}"`);
    let metrics = '';
    const settled = await waitFor(
      async () => {
        metrics = await (await fetch(`${base}/metrics`)).text();
        const received = sumMetric(metrics, 'alpaca_forwarder_events_received_total');
        const forwarded = sumMetric(metrics, 'alpaca_forwarder_events_forwarded_total');
        const delivered = sumMetric(metrics, 'alpaca_forwarder_kafka_records_delivered_total', dataTopic);
        return received >= s.events && delivered >= forwarded;
      },
      30_000 + (1000 * s.events) / s.rate,
      'all events delivered',
    ).then(
      () => true,
      () => false,
    );
    const proc = readProcStats(child.pid);
    if (!settled) {
      const counters = metrics
        .split('\n')
        .filter((l) =>
          /^alpaca_forwarder_(events_|unknown_messages|kafka_records|kafka_buffer_overflow|reconnects)/.test(
            l,
          ),
        );
      process.stderr.write(
        `  ${variant.name} round ${round}: not all delivered in time (${offered} offered):\n    ${counters.join('\n    ')}\n`,
      );
    }
    const exit = await child.stop();
    onChild(null);
    if (exit !== 0) process.stderr.write(`  forwarder exited ${exit}:\n${child.tail()}\n`);
    const wireEncoding = sim.log.connection(conn.id).encoding;
    const back = await readBack(broker.info, [topics.trades, topics.quotes, topics.bars]);
    const deduplicated = sumMetric(metrics, 'alpaca_forwarder_events_deduplicated_total');
    const dropped = sumMetric(metrics, 'alpaca_forwarder_events_dropped_total');
    return {
      variant: variant.name,
      round,
      offered,
      inKafka: back.records,
      deduplicated,
      dropped,
      lost: offered - back.records - deduplicated,
      eventsPerSecond: (back.records * 1000) / Math.max(1, back.lastAppendMs - startMs),
      ingestP50Ms: percentile(back.ingestLagMs, 50),
      ingestP99Ms: percentile(back.ingestLagMs, 99),
      kafkaP50Ms: percentile(back.kafkaLagMs, 50),
      kafkaP99Ms: percentile(back.kafkaLagMs, 99),
      kafkaMaxMs: percentile(back.kafkaLagMs, 100),
      cpuMs: proc.cpuMs - cpuBefore,
      cpuMsPer1k: ((proc.cpuMs - cpuBefore) * 1000) / Math.max(1, offered),
      idleCpuMsPerS,
      peakRssMb: proc.peakRssBytes / 1024 / 1024,
      wireEncoding,
    };
  } finally {
    await child.stop(5_000);
    onChild(null);
  }
}

/** Polls `check` (no event exists for "the forwarder's counters reached N") until true or the bound. */
async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {}
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await pause(100);
  }
}
