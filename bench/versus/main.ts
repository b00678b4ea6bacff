/**
 * Issue 10 benchmark: side by side, interleaved, one simulator generator and one private broker:
 *   a = the forwarder CLI at --ref (default 4a5e016, before issue 10; its own worktree + npm install)
 *   b = the forwarder CLI now
 *   c = the limit script (ws + decode + envelope + the project's Kafka sink)
 *   d = the Python peer (alpaca-py StockDataStream + confluent-kafka)
 * Modes: fixed (--rate, --seconds), ladder (--ladder 10000,20000,...), steady (--steady-events N
 * with DEDUP_MAX_ENTRIES=--dedup-cap; CPU per 1 000 events in the first vs last tenth).
 *   nice -n 10 node bench/versus/main.ts [--modes fixed,ladder,steady] [--variants a,b,c,d]
 *     [--rate 20000] [--seconds 10] [--ladder 20000,40000,60000] [--ladder-seconds 5]
 *     [--steady-events 200000] [--steady-rate 15000] [--dedup-cap 20000] [--ref 4a5e016]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  createTopics,
  type KafkaBroker,
  prepareKafka,
  startPrivateKafka,
} from '../../test/infra/kafka/index.ts';
import { type AlpacaSim, startAlpacaSim } from '../../test/sim/alpaca/index.ts';
import { machineLoad, readProcStats } from '../forwarder/proc-stats.ts';
import { createBenchTopics } from '../forwarder/read-back.ts';
import { percentile } from '../forwarder/stats.ts';
import { peerPython } from './python-peer.ts';
import { endOffsetSum, readAll } from './read-all.ts';
import { DEFAULT_REF, refForwarderMain } from './ref-tree.ts';

const { values: a } = parseArgs({
  options: {
    modes: { type: 'string', default: 'fixed' },
    variants: { type: 'string', default: 'a,b,c,d' },
    rate: { type: 'string', default: '20000' },
    seconds: { type: 'string', default: '10' },
    ladder: { type: 'string', default: '20000,40000,60000' },
    'ladder-seconds': { type: 'string', default: '5' },
    'steady-events': { type: 'string', default: '200000' },
    'steady-rate': { type: 'string', default: '15000' },
    'dedup-cap': { type: 'string', default: '20000' },
    symbols: { type: 'string', default: '200' },
    'frame-max': { type: 'string', default: '200' },
    'lag-bound-ms': { type: 'string', default: '2000' },
    ref: { type: 'string', default: DEFAULT_REF },
    /** NODE_OPTIONS for the Node variants (b, c), e.g. V8 heap flags to compare. */
    'node-options': { type: 'string', default: '' },
    /** Print each run's RSS over time (MB, one sample per --rss-every offered events). */
    'rss-every': { type: 'string', default: '0' },
  },
});
const num = (k: keyof typeof a): number => {
  const n = Number(a[k]);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${k} must be a positive number, got ${a[k]}`);
  return n;
};
const KEY_ID = 'PKVERSUS0000001';
const SECRET = 'sk-versus-0001';
const symbols = Array.from({ length: num('symbols') }, (_, i) => `V${String(i).padStart(4, '0')}`);
const ADMITTED = new Set(['t', 'q', 'b', 'u']);
const HERE = import.meta.dirname;
const NOW_MAIN = fileURLToPath(new URL('../../forwarder/main.ts', import.meta.url));
/** The V8 heap flags of the forwarder image (Dockerfile.forwarder ENTRYPOINT): b runs as the pod does. */
const IMAGE_V8_FLAGS = (() => {
  const dockerfile = readFileSync(new URL('../../Dockerfile.forwarder', import.meta.url), 'utf8');
  const entry = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1];
  if (entry === undefined) throw new Error('Dockerfile.forwarder has no ENTRYPOINT [...] line');
  return (JSON.parse(entry) as string[]).filter((f) => /^--max-(semi|old)-space-size=/.test(f));
})();

interface Topics {
  trades: string;
  quotes: string;
  bars: string;
  status: string;
}
interface Subject {
  key: string;
  name: string;
  spawn(t: Topics, stream: string, bootstrap: string, extra: Record<string, string>): ChildProcess;
}
const forwarderEnv = (t: Topics, sim: AlpacaSim, bootstrap: string) => ({
  PATH: process.env.PATH ?? '',
  ALPACA_KEY_ID: KEY_ID,
  ALPACA_SECRET_KEY: SECRET,
  ALPACA_FEED: 'sip',
  ALPACA_STREAM_URL: sim.urls.stream,
  ALPACA_BASE_URL: sim.urls.rest,
  SYMBOLS: symbols.join(','),
  KAFKA_BOOTSTRAP: bootstrap,
  KAFKA_SECURITY_PROTOCOL: 'PLAINTEXT',
  TOPIC_TRADES: t.trades,
  TOPIC_QUOTES: t.quotes,
  TOPIC_BARS_1M: t.bars,
  TOPIC_STATUS: t.status,
  TOPIC_TRADE_UPDATES: `${t.status}.tu`,
  HEALTH_PORT: '0',
  METRICS_PORT: '0',
  LEASE_ENABLED: 'false',
  LOG_LEVEL: 'warn',
  ALPACA_WS_ENCODING: 'msgpack',
  ...nodeOptions(),
});
function nodeOptions(): Record<string, string> {
  return a['node-options'] ? { NODE_OPTIONS: a['node-options'] } : {};
}
const scriptEnv = (t: Topics, stream: string, bootstrap: string) => ({
  PATH: process.env.PATH ?? '',
  STREAM_URL: `${stream}/v2/sip`,
  KEY_ID,
  SECRET,
  SYMBOLS: symbols.join(','),
  BOOTSTRAP: bootstrap,
  TOPIC_TRADES: t.trades,
  TOPIC_QUOTES: t.quotes,
  TOPIC_BARS: t.bars,
});
const nodeScriptEnv = (t: Topics, stream: string, bootstrap: string) => ({
  ...scriptEnv(t, stream, bootstrap),
  ...nodeOptions(),
});

let sim!: AlpacaSim;
const stdio: ['ignore', 'ignore', 'pipe'] = ['ignore', 'ignore', 'pipe'];
const allSubjects = (): Subject[] => {
  const out: Subject[] = [];
  const wanted = new Set((a.variants ?? '').split(','));
  if (wanted.has('a')) {
    const main = refForwarderMain(a.ref ?? DEFAULT_REF);
    out.push({
      key: 'a',
      name: `a forwarder@${a.ref}`,
      spawn: (t, _s, b, x) =>
        spawn(process.execPath, [main], { env: { ...forwarderEnv(t, sim, b), ...x }, stdio }),
    });
  }
  if (wanted.has('b'))
    out.push({
      key: 'b',
      name: 'b forwarder now',
      spawn: (t, _s, b, x) =>
        spawn(process.execPath, [...IMAGE_V8_FLAGS, NOW_MAIN], {
          env: { ...forwarderEnv(t, sim, b), ...x },
          stdio,
        }),
    });
  if (wanted.has('c'))
    out.push({
      key: 'c',
      name: 'c limit script',
      spawn: (t, s, b) =>
        spawn(process.execPath, [`${HERE}/limit-child.ts`], { env: nodeScriptEnv(t, s, b), stdio }),
    });
  if (wanted.has('d')) {
    const py = peerPython();
    if (py === null)
      console.log('d python peer: NOT RUN (alpaca-py + confluent-kafka could not be installed)');
    else
      out.push({
        key: 'd',
        name: 'd python peer',
        spawn: (t, s, b) => spawn(py, [`${HERE}/peer.py`], { env: scriptEnv(t, s, b), stdio }),
      });
  }
  return out;
};

interface Result {
  mode: string;
  subject: string;
  rate: number;
  offered: number;
  inKafka: number;
  lost: number;
  duplicates: number;
  reconnects: number;
  cpuPer1k: number;
  firstTenthPer1k: number;
  lastTenthPer1k: number;
  p50: number;
  p99: number;
  peakRssMb: number;
  /** [offered events, RSS MB] every --rss-every offered events, then after the drain. */
  rssSeries: [number, number][];
  drained: boolean;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runOne(
  broker: KafkaBroker,
  subject: Subject,
  mode: string,
  rate: number,
  events: number,
  extra: Record<string, string>,
): Promise<Result> {
  const id = randomUUID().slice(0, 8);
  const t: Topics = {
    trades: `v.trades.${id}`,
    quotes: `v.quotes.${id}`,
    bars: `v.bars.${id}`,
    status: `v.status.${id}`,
  };
  const specs = [
    { topic: t.trades, numPartitions: 3 },
    { topic: t.quotes, numPartitions: 3 },
    { topic: t.bars, numPartitions: 1 },
    { topic: t.status, numPartitions: 1 },
  ];
  await createBenchTopics(broker.info, specs);
  await createTopics(broker.info, specs);
  const bootstrap = broker.info.listener('PLAINTEXT').broker;
  const connsBefore = new Set(sim.log.connectionList().map((c) => c.id));
  const child = subject.spawn(t, sim.urls.stream, bootstrap, extra);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + String(d)).slice(-4000);
  });
  const pid = child.pid as number;
  try {
    // Ready = an authenticated market connection of this child subscribed to our symbols.
    const deadline = Date.now() + 60_000;
    const mine = () => sim.log.connectionList().filter((c) => !connsBefore.has(c.id) && c.kind === 'market');
    while (
      !mine().some(
        (c) => c.closedAt === null && JSON.stringify(c.subscriptions ?? {}).includes(symbols[0] as string),
      )
    ) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`${subject.name} never subscribed:\n${stderr}`);
      await pause(100);
    }
    await pause(1000);
    let offered = 0;
    let finished!: () => void;
    const allOffered = new Promise<void>((r) => {
      finished = r;
    });
    const samples: { offered: number; cpuMs: number; rssMb: number }[] = [];
    const push = sim.push.bind(sim);
    sim.push = (messages, opts) => {
      const take = messages
        .filter((m) => ADMITTED.has(String((m as { T?: unknown }).T)))
        .slice(0, events - offered);
      offered += take.length;
      if (take.length > 0) push(take, { ...opts, batchSize: num('frame-max') });
      const ps = readProcStats(pid);
      samples.push({ offered, cpuMs: ps.cpuMs, rssMb: ps.rssBytes / 1048576 });
      if (offered >= events) finished();
    };
    const cpu0 = readProcStats(pid).cpuMs;
    const gen = sim.generate({ eventsPerSecond: rate, symbols, feed: 'sip', seed: 11, rareShare: 0 });
    try {
      await allOffered;
    } finally {
      gen.stop();
      sim.push = push;
    }
    const topics = [t.trades, t.quotes, t.bars];
    const drainBound = Date.now() + 30_000 + (1000 * events) / rate;
    let inKafka = await endOffsetSum(broker.info, topics);
    while (inKafka < offered && Date.now() < drainBound) {
      await pause(250);
      inKafka = await endOffsetSum(broker.info, topics);
    }
    const proc = readProcStats(pid);
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    const back = await readAll(broker.info, topics);
    // CPU per 1 000 events between the generator ticks that crossed 0-10 % and 90-100 % offered.
    const tenth = (from: number, to: number): number => {
      const s0 = samples.find((s) => s.offered >= from * events) ?? samples[0];
      const s1 = samples.find((s) => s.offered >= to * events) ?? samples.at(-1);
      if (s0 === undefined || s1 === undefined || s1.offered === s0.offered) return Number.NaN;
      return ((s1.cpuMs - s0.cpuMs) * 1000) / (s1.offered - s0.offered);
    };
    const unique = back.records - back.duplicates;
    const every = Number(a['rss-every']);
    const rssSeries: [number, number][] = [];
    if (every > 0) {
      let next = 0;
      for (const s of samples)
        if (s.offered >= next) {
          rssSeries.push([s.offered, Math.round(s.rssMb)]);
          next = s.offered + every;
        }
      rssSeries.push([offered, Math.round(proc.rssBytes / 1048576)]);
    }
    return {
      mode,
      subject: subject.name,
      rate,
      offered,
      inKafka: back.records,
      lost: offered - unique,
      duplicates: back.duplicates,
      reconnects: Math.max(0, mine().length - 1),
      cpuPer1k: ((proc.cpuMs - cpu0) * 1000) / Math.max(1, offered),
      firstTenthPer1k: tenth(0, 0.1),
      lastTenthPer1k: tenth(0.9, 1),
      p50: percentile(back.kafkaLagMs, 50),
      p99: percentile(back.kafkaLagMs, 99),
      peakRssMb: proc.peakRssBytes / 1024 / 1024,
      rssSeries,
      drained: inKafka >= offered,
    };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '-');
function printTable(title: string, rs: Result[]): void {
  console.log(`\n${title}`);
  console.log(
    [
      'variant',
      'rate',
      'offered',
      'in Kafka',
      'lost',
      'dup',
      'reconn',
      'CPU ms/1k',
      '1st 10th',
      'last 10th',
      'p50 ms',
      'p99 ms',
      'peak RSS MB',
    ]
      .map((h, i) => (i === 0 ? h.padEnd(22) : h.padStart(11)))
      .join(''),
  );
  for (const r of rs)
    console.log(
      r.subject.padEnd(22) +
        [
          r.rate,
          r.offered,
          r.inKafka,
          r.lost,
          r.duplicates,
          r.reconnects,
          f(r.cpuPer1k),
          f(r.firstTenthPer1k),
          f(r.lastTenthPer1k),
          f(r.p50, 0),
          f(r.p99, 0),
          f(r.peakRssMb),
        ]
          .map((x) => String(x).padStart(11))
          .join(''),
    );
  for (const r of rs)
    if (r.rssSeries.length > 0)
      console.log(
        `${r.subject} RSS MB over offered events: ${r.rssSeries.map(([n, mb]) => `${n}:${mb}`).join(' ')}`,
      );
}
function ratios(rs: Result[]): void {
  const by = (k: string) => rs.find((r) => r.subject.startsWith(`${k} `));
  const b = by('b');
  if (b === undefined) return;
  for (const k of ['a', 'c', 'd']) {
    const o = by(k);
    if (o === undefined) continue;
    console.log(
      `b/${k}: CPU per 1k ${f(b.cpuPer1k / o.cpuPer1k, 2)}, p99 ${f(b.p99 / o.p99, 2)}, peak RSS ${f(b.peakRssMb / o.peakRssMb, 2)}`,
    );
  }
}

let broker: KafkaBroker | null = null;
const modes = new Set((a.modes ?? '').split(','));
console.log(
  `load before: ${JSON.stringify(machineLoad())}, Node ${process.version}; b runs with ${IMAGE_V8_FLAGS.join(' ') || 'no V8 heap flags'} (Dockerfile.forwarder)`,
);
try {
  await prepareKafka();
  broker = await startPrivateKafka({ heap: { min: '512m', max: '1g' } });
  sim = await startAlpacaSim({
    accounts: {
      [KEY_ID]: { secret: SECRET, feeds: ['iex', 'sip', 'delayed_sip', 'test'], symbolLimit: null },
    },
    logFrames: false,
    testStream: false,
    lingerMs: 0,
  });
  const subjects = allSubjects();
  const rotate = (i: number) => (i % 2 === 0 ? subjects : [...subjects].reverse());
  if (modes.has('fixed')) {
    const rate = num('rate');
    const rs: Result[] = [];
    for (const s of rotate(0))
      rs.push(await runOne(broker, s, 'fixed', rate, Math.round(rate * num('seconds')), {}));
    printTable(`fixed rate ${rate} ev/s for ${a.seconds} s`, rs);
    ratios(rs);
  }
  if (modes.has('ladder')) {
    const rates = (a.ladder ?? '').split(',').map(Number);
    const rs: Result[] = [];
    const out = new Set<string>();
    const best = new Map<string, number>();
    for (const [i, rate] of rates.entries())
      for (const s of rotate(i)) {
        if (out.has(s.key)) continue;
        const r = await runOne(broker, s, 'ladder', rate, Math.round(rate * num('ladder-seconds')), {});
        rs.push(r);
        const ok = r.lost === 0 && r.duplicates === 0 && r.drained && r.p99 <= num('lag-bound-ms');
        if (ok) best.set(s.name, rate);
        else out.add(s.key);
      }
    printTable(`ladder (sustained = nothing lost or duplicated, Kafka p99 ≤ ${a['lag-bound-ms']} ms)`, rs);
    for (const s of subjects)
      console.log(`highest sustained rate ${s.name}: ${best.get(s.name) ?? 'none of the ladder'}`);
  }
  if (modes.has('steady')) {
    const rs: Result[] = [];
    for (const s of rotate(1))
      rs.push(
        await runOne(broker, s, 'steady', num('steady-rate'), num('steady-events'), {
          DEDUP_MAX_ENTRIES: a['dedup-cap'] as string,
        }),
      );
    printTable(
      `steady state: ${a['steady-events']} distinct events, DEDUP_MAX_ENTRIES=${a['dedup-cap']} (forwarders)`,
      rs,
    );
    for (const r of rs)
      console.log(`${r.subject}: last/first tenth CPU ${f(r.lastTenthPer1k / r.firstTenthPer1k, 2)}`);
    ratios(rs);
  }
} finally {
  await sim?.close().catch(() => {});
  await broker?.stop().catch(() => {});
}
console.log(`load after: ${JSON.stringify(machineLoad())}`);
