/**
 * One fuzz run against the real forwarder CLI (child process), the Alpaca simulator and Kafka:
 * seeded hostile frames (test/sim/alpaca/hostile.ts) interleaved with valid events on the
 * market-data and trading streams, then hostile REST pages served to the gap fills of repeated
 * reconnects, interleaved with valid pages. Returns what the test asserts and the benchmark
 * prints. Flow control: frames are written as fast as the forwarder reads them (the sim's socket
 * buffer is kept under 1 MiB), so the run measures the forwarder, not a backlog.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { readTopic } from '../../infra/kafka/clients.ts';
import type { KafkaInfo } from '../../infra/kafka/info.ts';
import { type HostileKind, hostileFrames, hostileRestBodies } from '../../sim/alpaca/hostile.ts';
import { type AlpacaSim, tradeUpdate } from '../../sim/alpaca/index.ts';
import { type Child, forwarderEnv, spawnCli, type Topics } from './harness.ts';

const GC_PRELOAD = fileURLToPath(new URL('./fixtures/gc-on-signal.ts', import.meta.url));

export interface FuzzOptions {
  seed: number;
  marketFrames: number;
  tradingFrames: number;
  /** One valid event per this many hostile frames. */
  validEvery: number;
  /** Reconnects whose gap fill gets a hostile REST page (each followed by a valid one). */
  restRounds?: number;
  /** Called with the child's pid once it runs (the benchmark samples /proc). */
  onPid?(pid: number): void;
}

export interface FuzzResult {
  alive: boolean;
  exitCode: number | null;
  hostile: Record<string, number>;
  validTrades: number[];
  tradesInKafka: number[];
  validUpdates: string[];
  updatesInKafka: string[];
  validRestBars: string[];
  restBarsInKafka: string[];
  restHostile: number;
  probes: { sent: number; ok: number; failed: string[] };
  seriesBefore: number;
  seriesAfter: number;
  heapBefore: number;
  heapAfter: number;
  eventLoopLagMaxSeconds: number;
  eventLoopLagP99Seconds: number;
  logLines: number;
  elapsedMs: number;
}

function metricValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? Number.NaN : Number(line.split(' ').pop());
}

function seriesCount(text: string): number {
  return text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
}

async function until<T>(
  what: string,
  f: () => Promise<T | null> | T | null,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`fuzz: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function runFuzz(
  sim: AlpacaSim,
  kafka: KafkaInfo,
  topics: Topics,
  o: FuzzOptions,
  register: (stop: () => Promise<unknown>) => void,
): Promise<FuzzResult> {
  const t0 = Date.now();
  const env = forwarderEnv(sim, kafka, topics, {
    SYMBOLS: 'AAPL,MSFT,TSLA',
    ALPACA_MARKET_DATA_CHANNELS: 'trades,bars',
    ENABLE_TRADE_UPDATES: 'true',
    ALPACA_TRADE_STREAM_URL: sim.urls.trading,
    ENABLE_GAP_FILL: 'true',
    LEASE_ENABLED: 'false',
    // The fuzz's simulator frees a dropped session's slot at once (lingerMs 0): so does our wait.
    ALPACA_406_COOLDOWN_MS: '300',
  });
  const child: Child = spawnCli(env, ['--expose-gc', '--import', GC_PRELOAD]);
  register(async () => {
    if (child.proc.exitCode === null) child.proc.kill('SIGKILL');
  });
  if (child.proc.pid !== undefined) o.onPid?.(child.proc.pid);
  const listening = await child.waitForLog((l) => l.msg === 'health server listening');
  const base = `http://127.0.0.1:${listening.health_port as number}`;
  const metrics = async () => (await fetch(`${base}/metrics`)).text();
  let gcs = 0;
  const gc = async (): Promise<void> => {
    gcs += 1;
    const want = `gc-done ${gcs}`;
    child.proc.kill('SIGUSR2');
    await until('gc', () => (child.stderr.join('').includes(want) ? true : null), 60_000);
  };
  await until('ready', async () => {
    try {
      const r = await fetch(`${base}/readyz`);
      const b = (await r.json()) as { ready: boolean; gates: { trade_updates: boolean | null } };
      return b.ready && b.gates.trade_updates === true ? true : null;
    } catch {
      return null;
    }
  });
  const market = sim.log.connectionList().find((c) => c.kind === 'market' && c.closedAt === null);
  const trading = sim.log.connectionList().find((c) => c.kind === 'trading' && c.closedAt === null);
  if (!market || !trading) throw new Error('fuzz: forwarder connections not found');

  // Warm-up with valid events only, then the baseline after a GC.
  let nextId = 1;
  const validTrades: number[] = [];
  const pushTrades = (n: number): void => {
    const batch = [];
    for (let k = 0; k < n; k++) {
      const i = nextId++;
      validTrades.push(i);
      batch.push(sim.data.trade(['AAPL', 'MSFT', 'TSLA'][i % 3] as string, { i }));
    }
    sim.push(batch);
  };
  for (let k = 0; k < 100; k++) pushTrades(5);
  await readTopic(kafka, topics.trades, { count: validTrades.length, timeoutMs: 120_000 });
  await gc();
  const before = await metrics();

  // /healthz probes throughout: each must answer 200 (a generous per-probe deadline, no latency bound).
  const probes = { sent: 0, ok: 0, failed: [] as string[] };
  let probing = true;
  register(async () => {
    probing = false;
  });
  const prober = (async () => {
    while (probing) {
      probes.sent += 1;
      try {
        const r = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(30_000) });
        if (r.status === 200) probes.ok += 1;
        else probes.failed.push(`status ${r.status}`);
        await r.arrayBuffer();
      } catch (err) {
        probes.failed.push((err as Error).message);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();

  const hostile: Record<string, number> = {};
  const count = (k: HostileKind | string) => {
    hostile[k] = (hostile[k] ?? 0) + 1;
  };
  const drained = async (connId: number) => {
    for (;;) {
      const rec = sim.log.connection(connId);
      if (rec.closedAt !== null) {
        await new Promise((r) => setTimeout(r, 3000));
        const warns = child.stdout
          .filter((l) => /"level":(40|50)/.test(l))
          .slice(-8)
          .map((l) => l.slice(0, 400));
        throw new Error(
          `fuzz: connection ${connId} closed (${rec.closeHow} ${rec.closeCode}); forwarder exit ${child.proc.exitCode} ${child.proc.signalCode}; ${warns.join('\n')}; stderr: ${child.stderr.join('').slice(-1500)}`,
        );
      }
      if (sim.bufferedAmount(connId) === 0) return;
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  const nextMarket = hostileFrames({ seed: o.seed, stream: 'market', maxFrameBytes: 256 * 1024 });
  const nextTrading = hostileFrames({ seed: o.seed + 1, stream: 'trading', maxFrameBytes: 256 * 1024 });
  const validUpdates: string[] = [];
  const total = Math.max(o.marketFrames, o.tradingFrames);
  for (let n = 0; n < total; n++) {
    if (n < o.marketFrames) {
      const f = nextMarket();
      sim.pushFrame(market.id, f.payload, { binary: f.binary });
      count(`market:${f.kind}`);
      if (n % o.validEvery === 0) pushTrades(1 + (n % 3));
    }
    if (n < o.tradingFrames) {
      const f = nextTrading();
      sim.pushFrame(trading.id, f.payload, { binary: f.binary });
      count(`trading:${f.kind}`);
      if (n % o.validEvery === 0) {
        const orderId = `fuzz-order-${n}`;
        validUpdates.push(orderId);
        sim.pushTradeUpdate(
          tradeUpdate({ event: 'new', symbol: 'AAPL', orderId, timestamp: '2026-01-05T15:00:00.123456789Z' }),
        );
      }
    }
    // Little queued in user space (the kernel's socket buffers hold a few MiB more): the
    // forwarder's pings must not wait behind a backlog longer than its pong timeout.
    if (sim.bufferedAmount(market.id) > 0) await drained(market.id);
    if (sim.bufferedAmount(trading.id) > 0) await drained(trading.id);
  }
  await drained(market.id);
  await drained(trading.id);
  const trades = await readTopic(kafka, topics.trades, { count: validTrades.length, timeoutMs: 180_000 });
  await readTopic(kafka, topics.tradeUpdates, { count: validUpdates.length, timeoutMs: 180_000 });
  void trades;

  // REST: each reconnect's gap fill gets a hostile page, then the next one a valid page.
  const bodies = hostileRestBodies(o.seed).slice(0, o.restRounds ?? 12);
  const validRestBars: string[] = [];
  const restCount = () => sim.log.events.filter((e) => e.type === 'rest').length;
  let restHostile = 0;
  const symbols = ['AAPL', 'MSFT', 'TSLA'];
  for (let k = 0; k < bodies.length * 2; k++) {
    const hostileRound = k % 2 === 0;
    if (hostileRound) {
      sim.overrideNextRest({ body: bodies[k / 2] as string });
      restHostile += 1;
    } else if (validRestBars.length < symbols.length) {
      const minute = Math.floor(Date.now() / 60_000) * 60_000;
      const symbol = symbols[validRestBars.length] as string;
      const t = new Date(minute).toISOString().replace('.000Z', 'Z');
      sim.record([sim.data.bar(symbol, { t, o: 7, h: 8, l: 6, c: 7.5, v: 1000 + k })]);
      validRestBars.push(`${symbol}@${t}@${1000 + k}`);
    }
    const seen = restCount();
    const conn = sim.log.connectionList().find((c) => c.kind === 'market' && c.closedAt === null);
    if (!conn) throw new Error('fuzz: no market connection');
    sim.drop(conn.id);
    await until('gap fill request', () => (restCount() > seen ? true : null));
    await until('reconnected', () =>
      sim.log.connectionList().some((c) => c.kind === 'market' && c.closedAt === null && c.id !== conn.id)
        ? true
        : null,
    );
  }
  // Valid REST bars arrive (the gap filler runs after the reconnect).
  const bars = await readTopic(kafka, topics.bars, { count: validRestBars.length, timeoutMs: 120_000 });
  void bars;

  probing = false;
  await prober;
  await gc();
  const after = await metrics();
  const alive = child.proc.exitCode === null;
  child.proc.kill('SIGTERM');
  const exitCode = await child.exited;

  // Exactly once: everything in the topics (to their end), after the forwarder flushed and exited.
  const tradesInKafka = (await readTopic(kafka, topics.trades)).map(
    (r) => JSON.parse(r.value ?? '{}').payload.i as number,
  );
  const updatesInKafka = (await readTopic(kafka, topics.tradeUpdates)).map(
    (r) => JSON.parse(r.value ?? '{}').payload.order.id as string,
  );
  const restBarsInKafka = (await readTopic(kafka, topics.bars)).map((r) => {
    const p = JSON.parse(r.value ?? '{}').payload as { S: string; t: string; v: number };
    return `${p.S}@${p.t}@${p.v}`;
  });
  const stdout = child.stdout.length;
  return {
    alive,
    exitCode,
    hostile,
    validTrades,
    tradesInKafka,
    validUpdates,
    updatesInKafka,
    validRestBars,
    restBarsInKafka,
    restHostile,
    probes,
    seriesBefore: seriesCount(before),
    seriesAfter: seriesCount(after),
    heapBefore: metricValue(before, 'alpaca_forwarder_nodejs_heap_size_used_bytes'),
    heapAfter: metricValue(after, 'alpaca_forwarder_nodejs_heap_size_used_bytes'),
    eventLoopLagMaxSeconds: metricValue(after, 'alpaca_forwarder_nodejs_eventloop_lag_max_seconds'),
    eventLoopLagP99Seconds: metricValue(after, 'alpaca_forwarder_nodejs_eventloop_lag_p99_seconds'),
    logLines: stdout,
    elapsedMs: Date.now() - t0,
  };
}

/** Peak resident set of a process (VmHWM), bytes; null once it is gone. */
export async function peakRss(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /VmHWM:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}
