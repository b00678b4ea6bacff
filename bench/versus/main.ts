/**
 * Issue 10 benchmark: side by side, interleaved over rounds, one generator (the Alpaca simulator
 * in a process of its own, sim-child.ts) and one private broker:
 *   a = the forwarder CLI at --ref (default 4a5e016, before issue 10; its own worktree + npm install)
 *   b = the forwarder CLI now
 *   c = the limit script (ws + decode + envelope + the project's Kafka sink)
 *   d = the Python peer (alpaca-py StockDataStream + confluent-kafka)
 * Modes: fixed (--rate, --seconds), ladder (--ladder rates; each variant's highest sustained
 * rate), steady (--steady-events distinct events at the forwarder's default dedup cap; CPU per
 * 1 000 events in the first vs last tenth), overload (--overload-seconds at 2× b's highest
 * sustained rate: reconnects, loss, lagging/healthy status events, backlog drain time).
 *   nice -n 10 node bench/versus/main.ts [--modes fixed,ladder,steady,overload] [--variants a,b,c,d[,e]]
 *     [--rounds 2] [--rate 20000] [--seconds 10] [--ladder 20000,40000,...] [--ladder-seconds 5]
 *     [--steady-events 1000000] [--steady-rate 20000] [--steady-variants b,c,d] [--steady-rounds 1]
 *     [--overload-seconds 20] [--overload-rate N] [--overload-variants b] [--ref 4a5e016]
 *     [--dist] [--e-flags "--max-semi-space-size=4;--max-semi-space-size=8 MALLOC_ARENA_MAX=2"]
 */
import { type ChildProcess, fork, spawn, spawnSync } from 'node:child_process';
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
import { machineLoad, readProcStats } from '../forwarder/proc-stats.ts';
import { createBenchTopics } from '../forwarder/read-back.ts';
import { median, percentile } from '../forwarder/stats.ts';
import { peerPython } from './python-peer.ts';
import { endOffsetSum, readAll, readStatus } from './read-all.ts';
import { DEFAULT_REF, refForwarderMain } from './ref-tree.ts';
import type { CpuSample, FromSim, ToSim } from './sim-ipc.ts';

const { values: a } = parseArgs({
  options: {
    modes: { type: 'string', default: 'fixed' },
    variants: { type: 'string', default: 'a,b,c,d' },
    rounds: { type: 'string', default: '2' },
    rate: { type: 'string', default: '20000' },
    seconds: { type: 'string', default: '10' },
    ladder: { type: 'string', default: '20000,40000,60000,80000,100000,120000' },
    'ladder-seconds': { type: 'string', default: '5' },
    'steady-events': { type: 'string', default: '1000000' },
    'steady-rate': { type: 'string', default: '20000' },
    'steady-variants': { type: 'string', default: 'b,c,d' },
    'steady-rounds': { type: 'string', default: '1' },
    'overload-seconds': { type: 'string', default: '20' },
    'overload-rate': { type: 'string' },
    'overload-variants': { type: 'string', default: 'b' },
    symbols: { type: 'string', default: '200' },
    'frame-max': { type: 'string', default: '200' },
    'lag-bound-ms': { type: 'string', default: '2000' },
    ref: { type: 'string', default: DEFAULT_REF },
    /** Profile the Node variants (b, c): node --cpu-prof into this directory. */
    'cpu-prof-dir': { type: 'string' },
    /** NODE_OPTIONS for the Node variants (b, c), e.g. V8 heap flags to compare. */
    'node-options': { type: 'string', default: '' },
    /** Print each run's RSS over time (MB, one sample per --rss-every offered events). */
    'rss-every': { type: 'string', default: '0' },
    /**
     * Variant e once per `;`-separated set, each run as e1, e2, ...: node flags (`--x=y`) and
     * environment (`NAME=value`, e.g. MALLOC_ARENA_MAX=2) for the forwarder now, to compare heap
     * settings side by side in one run. Without it, e is the forwarder with Node's default heap.
     */
    'e-flags': { type: 'string' },
    /** Run b and e from the built dist/forwarder/main.js (`npm run build` first), as the image does. */
    dist: { type: 'boolean', default: false },
  },
});
const num = (k: keyof typeof a): number => {
  const n = Number(a[k]);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${k} must be a positive number, got ${a[k]}`);
  return n;
};
const list = (k: keyof typeof a) =>
  new Set(
    String(a[k] ?? '')
      .split(',')
      .filter(Boolean),
  );
const KEY_ID = 'PKVERSUS0000001';
const SECRET = 'sk-versus-0001';
const DEFAULT_DEDUP_CAP = 100_000;
const symbols = Array.from({ length: num('symbols') }, (_, i) => `V${String(i).padStart(4, '0')}`);
const HERE = import.meta.dirname;
const NOW_MAIN = fileURLToPath(
  new URL(a.dist ? '../../dist/forwarder/main.js' : '../../forwarder/main.ts', import.meta.url),
);
if (a.dist) {
  const built = spawnSync('npm', ['run', 'build'], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    stdio: 'inherit',
  });
  if (built.status !== 0) throw new Error('npm run build failed');
}
/** The V8 heap flags of the forwarder image (Dockerfile.forwarder ENTRYPOINT): b runs as the pod does. */
const IMAGE_V8_FLAGS = (() => {
  const dockerfile = readFileSync(new URL('../../Dockerfile.forwarder', import.meta.url), 'utf8');
  const entry = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1];
  if (entry === undefined) throw new Error('Dockerfile.forwarder has no ENTRYPOINT [...] line');
  return (JSON.parse(entry) as string[]).filter((f) => /^--max-(semi|old)-space-size=/.test(f));
})();
const nodeOptions = (): Record<string, string> =>
  a['node-options'] ? { NODE_OPTIONS: a['node-options'] } : {};

interface Topics {
  trades: string;
  quotes: string;
  bars: string;
  status: string;
}
interface Subject {
  key: string;
  name: string;
  spawn(t: Topics, bootstrap: string): ChildProcess;
}

// --- the generator process -------------------------------------------------------------------
let simChild!: ChildProcess;
let simUrls!: { stream: string; rest: string };
let nextId = 1;
const waiting = new Map<number, (m: FromSim) => void>();
function ask(m: ToSim & { id: number }): Promise<FromSim> {
  return new Promise((r) => {
    waiting.set(m.id, r);
    simChild.send(m);
  });
}
async function startSimChild(): Promise<void> {
  simChild = fork(`${HERE}/sim-child.ts`, [], {
    env: { PATH: process.env.PATH ?? '', KEY_ID, SECRET },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    simChild.once('exit', (code) => reject(new Error(`generator process exited ${code}`)));
    simChild.on('message', (m: FromSim) => {
      if (m.op === 'ready') {
        simUrls = { stream: m.stream, rest: m.rest };
        resolve();
      } else {
        const r = waiting.get(m.id);
        waiting.delete(m.id);
        r?.(m);
      }
    });
  });
}
async function connections(): Promise<{ id: number; open: boolean; subscribed: boolean }[]> {
  const r = await ask({ op: 'connections', id: nextId++, symbol: symbols[0] as string });
  return r.op === 'connections' ? r.list : [];
}

// --- the variants ----------------------------------------------------------------------------
const forwarderEnv = (t: Topics, bootstrap: string) => ({
  PATH: process.env.PATH ?? '',
  ALPACA_KEY_ID: KEY_ID,
  ALPACA_SECRET_KEY: SECRET,
  ALPACA_FEED: 'sip',
  ALPACA_STREAM_URL: simUrls.stream,
  ALPACA_BASE_URL: simUrls.rest,
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
const scriptEnv = (t: Topics, bootstrap: string) => ({
  PATH: process.env.PATH ?? '',
  STREAM_URL: `${simUrls.stream}/v2/sip`,
  KEY_ID,
  SECRET,
  SYMBOLS: symbols.join(','),
  BOOTSTRAP: bootstrap,
  TOPIC_TRADES: t.trades,
  TOPIC_QUOTES: t.quotes,
  TOPIC_BARS: t.bars,
});
// stdout too: the forwarder's pino log (LOG_LEVEL=warn) goes there; both are kept in a short tail.
const stdio: ['ignore', 'pipe', 'pipe'] = ['ignore', 'pipe', 'pipe'];
const prof = (key: string) =>
  a['cpu-prof-dir'] === undefined
    ? []
    : [
        '--cpu-prof',
        `--cpu-prof-dir=${a['cpu-prof-dir']}`,
        `--cpu-prof-name=${key}-${Date.now()}.cpuprofile`,
      ];
const allSubjects = (): Subject[] => {
  const out: Subject[] = [];
  const wanted = list('variants');
  if (wanted.has('a')) {
    const main = refForwarderMain(a.ref ?? DEFAULT_REF);
    out.push({
      key: 'a',
      name: `a forwarder@${a.ref}`,
      spawn: (t, b) => spawn(process.execPath, [main], { env: forwarderEnv(t, b), stdio }),
    });
  }
  if (wanted.has('b'))
    out.push({
      key: 'b',
      name: 'b forwarder now',
      spawn: (t, b) =>
        spawn(process.execPath, [...IMAGE_V8_FLAGS, ...prof('b'), NOW_MAIN], {
          env: forwarderEnv(t, b),
          stdio,
        }),
    });
  if (wanted.has('e')) {
    const sets = a['e-flags'] === undefined ? [''] : String(a['e-flags']).split(';');
    for (const [i, set] of sets.entries()) {
      const words = set.trim().split(/\s+/).filter(Boolean);
      const flags = words.filter((w) => w.startsWith('-'));
      const env = Object.fromEntries(
        words
          .filter((w) => !w.startsWith('-'))
          .map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]),
      );
      const key = sets.length === 1 ? 'e' : `e${i + 1}`;
      out.push({
        key,
        name: `${key} forwarder now, ${set.trim() || a['node-options'] || 'Node default heap'}`,
        spawn: (t, b) =>
          spawn(process.execPath, [...flags, ...prof(key), NOW_MAIN], {
            // --node-options applies here too, so e can try other heap flags beside b's.
            env: { ...forwarderEnv(t, b), ...nodeOptions(), ...env },
            stdio,
          }),
      });
    }
  }
  if (wanted.has('c'))
    out.push({
      key: 'c',
      name: 'c limit script',
      spawn: (t, b) =>
        spawn(process.execPath, [...prof('c'), `${HERE}/limit-child.ts`], {
          env: { ...scriptEnv(t, b), ...nodeOptions() },
          stdio,
        }),
    });
  if (wanted.has('d')) {
    const py = peerPython();
    if (py === null)
      console.log('d python peer: NOT RUN (alpaca-py + confluent-kafka could not be installed)');
    else
      out.push({
        key: 'd',
        name: 'd python peer',
        spawn: (t, b) => spawn(py, [`${HERE}/peer.py`], { env: scriptEnv(t, b), stdio }),
      });
  }
  return out;
};

// --- one run -----------------------------------------------------------------------------------
interface Result {
  key: string;
  subject: string;
  rate: number;
  /** Rate the generator achieved (offered / time from first to last offered event). */
  offeredRate: number;
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
  drained: boolean;
  /** From the last offered event until every offered event was in Kafka (ms); NaN if never. */
  drainMs: number;
  lagging: number;
  healthyAfterLagging: boolean;
  maxLagMs: number;
  /** [offered events, RSS MB] every --rss-every offered events, then after the drain. */
  rssSeries: [number, number][];
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runOne(broker: KafkaBroker, subject: Subject, rate: number, events: number): Promise<Result> {
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
  const before = new Set((await connections()).map((c) => c.id));
  const child = subject.spawn(t, bootstrap);
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + String(d)).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const pid = child.pid as number;
  const mine = async () => (await connections()).filter((c) => !before.has(c.id));
  try {
    // Ready = a market connection of this child subscribed to our symbols.
    const deadline = Date.now() + 60_000;
    while (!(await mine()).some((c) => c.open && c.subscribed)) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`${subject.name} never subscribed:\n${output}`);
      await pause(100);
    }
    await pause(1000);
    const cpu0 = readProcStats(pid).cpuMs;
    const done = await ask({
      op: 'offer',
      id: nextId++,
      pid,
      rate,
      events,
      frameMax: num('frame-max'),
      symbols,
      seed: 11,
      maxMs: 2 * ((1000 * events) / rate) + 10_000,
    });
    if (done.op !== 'offered') throw new Error('generator: unexpected reply');
    const { offered, samples } = done;
    if (done.cutShort)
      console.log(
        `  ${subject.name} @${rate}: generator starved, offered ${offered} of ${events} in its time bound`,
      );
    const topics = [t.trades, t.quotes, t.bars];
    const drainBound = Date.now() + 30_000 + (1000 * events) / rate;
    let inKafka = await endOffsetSum(broker.info, topics);
    while (inKafka < offered && Date.now() < drainBound) {
      await pause(100);
      inKafka = await endOffsetSum(broker.info, topics);
    }
    const drainMs = inKafka >= offered ? Math.max(0, Date.now() - done.endMs) : Number.NaN;
    // A forwarder that reported lagging says healthy once caught up: below half the threshold, or
    // a threshold's time (2 s) after the last frame it handled, which can come after the drain.
    if (subject.key === 'a' || subject.key === 'b') {
      const healthyBound = Date.now() + 10_000;
      for (;;) {
        const ev = (await readStatus(broker.info, t.status)).events;
        const lagAt = ev.findIndex((e) => e.status === 'lagging');
        if (lagAt < 0 || ev.slice(lagAt).some((e) => e.status === 'healthy')) break;
        if (Date.now() >= healthyBound) break;
        await pause(250);
      }
    }
    const proc = readProcStats(pid);
    const reconnects = Math.max(0, (await mine()).length - 1);
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    const back = await readAll(broker.info, topics);
    // A run that lost, duplicated or reconnected shows what the process under test logged (the
    // forwarder runs at LOG_LEVEL=warn), so the cause is in the benchmark's output.
    if (back.records - back.duplicates < offered || back.duplicates > 0 || reconnects > 0)
      console.log(
        `  ${subject.name} @${rate}: not clean; its output (stdout + stderr, last 4000 chars):\n${output || '(empty)'}`,
      );
    const status =
      subject.key === 'a' || subject.key === 'b' ? await readStatus(broker.info, t.status) : null;
    const lagEvents = status?.events ?? [];
    const firstLagging = lagEvents.findIndex((e) => e.status === 'lagging');
    const tenth = (from: number, to: number) => cpuBetween(samples, from * events, to * events);
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
      rssSeries,
      key: subject.key,
      subject: subject.name,
      rate,
      offeredRate: (offered * 1000) / Math.max(1, done.endMs - done.startMs),
      offered,
      inKafka: back.records,
      lost: offered - unique,
      duplicates: back.duplicates,
      reconnects,
      cpuPer1k: ((proc.cpuMs - cpu0) * 1000) / Math.max(1, offered),
      firstTenthPer1k: tenth(0, 0.1),
      lastTenthPer1k: tenth(0.9, 1),
      p50: percentile(back.kafkaLagMs, 50),
      p99: percentile(back.kafkaLagMs, 99),
      peakRssMb: proc.peakRssBytes / 1024 / 1024,
      drained: inKafka >= offered,
      drainMs,
      lagging: lagEvents.filter((e) => e.status === 'lagging').length,
      healthyAfterLagging:
        firstLagging >= 0 && lagEvents.slice(firstLagging).some((e) => e.status === 'healthy'),
      maxLagMs: Math.max(0, ...lagEvents.map((e) => e.lagMs ?? 0)),
    };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/**
 * CPU per 1 000 events from the last generator tick at or before `from` offered events to the
 * first at or after `to` (a late tick can push many events at once: the span then widens).
 */
function cpuBetween(samples: CpuSample[], from: number, to: number): number {
  const s0 = samples.findLast((s) => s.offered <= from) ?? samples[0];
  const s1 = samples.find((s) => s.offered >= to) ?? samples.at(-1);
  if (s0 === undefined || s1 === undefined || s1.offered === s0.offered) return Number.NaN;
  return ((s1.cpuMs - s0.cpuMs) * 1000) / (s1.offered - s0.offered);
}

// --- reporting ---------------------------------------------------------------------------------
const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '-');
/** Median of the rounds with their range: `34.7 (33.9-35.2)`; one round: the value alone. */
const spread = (xs: number[], d = 1): string => {
  const ok = xs.filter(Number.isFinite);
  if (ok.length === 0) return '-';
  if (ok.length === 1) return f(ok[0] as number, d);
  return `${f(median(ok), d)} (${f(Math.min(...ok), d)}-${f(Math.max(...ok), d)})`;
};
const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
function groupBy(rs: Result[]): Map<string, Result[]> {
  const m = new Map<string, Result[]>();
  for (const r of rs) m.set(`${r.subject}@${r.rate}`, [...(m.get(`${r.subject}@${r.rate}`) ?? []), r]);
  return m;
}
function printTable(title: string, rs: Result[], extra: 'tenths' | 'overload' | null = null): void {
  console.log(`\n${title}`);
  const head = ['variant', 'rate', 'gen ev/s', 'rounds', 'offered', 'lost', 'dup', 'reconn', 'CPU ms/1k'];
  if (extra === 'tenths') head.push('1st 10th', 'last 10th', 'last/1st');
  head.push('p50 ms', 'p99 ms', 'drain ms', 'peak RSS MB');
  if (extra === 'overload') head.push('lagging', 'then healthy', 'max lag ms');
  console.log(head.map((h, i) => (i === 0 ? h.padEnd(20) : h.padStart(i === 1 ? 8 : 20))).join(''));
  for (const [, g] of groupBy(rs)) {
    const r0 = g[0] as Result;
    const row: string[] = [
      String(r0.rate),
      spread(
        g.map((r) => r.offeredRate),
        0,
      ),
      String(g.length),
      String(sum(g.map((r) => r.offered))),
      String(sum(g.map((r) => r.lost))),
      String(sum(g.map((r) => r.duplicates))),
      String(sum(g.map((r) => r.reconnects))),
      spread(g.map((r) => r.cpuPer1k)),
    ];
    if (extra === 'tenths')
      row.push(
        spread(g.map((r) => r.firstTenthPer1k)),
        spread(g.map((r) => r.lastTenthPer1k)),
        spread(
          g.map((r) => r.lastTenthPer1k / r.firstTenthPer1k),
          2,
        ),
      );
    row.push(
      spread(
        g.map((r) => r.p50),
        0,
      ),
      spread(
        g.map((r) => r.p99),
        0,
      ),
      spread(
        g.map((r) => r.drainMs),
        0,
      ),
      spread(g.map((r) => r.peakRssMb)),
    );
    if (extra === 'overload')
      row.push(
        g.map((r) => r.lagging).join('/'),
        g.map((r) => (r.healthyAfterLagging ? 'yes' : 'no')).join('/'),
        spread(
          g.map((r) => r.maxLagMs),
          0,
        ),
      );
    console.log(r0.subject.padEnd(20) + row.map((x, i) => x.padStart(i === 0 ? 8 : 20)).join(''));
  }
  for (const r of rs)
    if (r.rssSeries.length > 0)
      console.log(
        `${r.subject} @${r.rate} RSS MB over offered events: ${r.rssSeries.map(([n, mb]) => `${n}:${mb}`).join(' ')}`,
      );
}
function ratios(rs: Result[]): void {
  const med = (k: string, pick: (r: Result) => number) =>
    median(
      rs
        .filter((r) => r.key === k)
        .map(pick)
        .filter(Number.isFinite),
    );
  if (!rs.some((r) => r.key === 'b')) return;
  for (const k of ['a', 'c', 'd']) {
    if (!rs.some((r) => r.key === k)) continue;
    const q = (pick: (r: Result) => number) => f(med('b', pick) / med(k, pick), 2);
    // Per-round ratios (b and k of the same round) show the spread of the ratio itself.
    const bs = rs.filter((r) => r.key === 'b');
    const ks = rs.filter((r) => r.key === k);
    const per = bs
      .map((b, i) => (ks[i] === undefined ? Number.NaN : b.cpuPer1k / (ks[i] as Result).cpuPer1k))
      .filter(Number.isFinite);
    console.log(
      `b/${k}: CPU per 1k ${q((r) => r.cpuPer1k)} (rounds ${per.map((x) => f(x, 2)).join(', ')}), ` +
        `p99 ${q((r) => r.p99)}, peak RSS ${q((r) => r.peakRssMb)}`,
    );
  }
}

// --- the modes ---------------------------------------------------------------------------------
let broker: KafkaBroker | null = null;
const modes = list('modes');
const rounds = num('rounds');
const started = Date.now();
console.log(
  `load before: ${JSON.stringify(machineLoad())}, Node ${process.version}; b runs with ${IMAGE_V8_FLAGS.join(' ') || 'no V8 heap flags'} (Dockerfile.forwarder)`,
);
try {
  await prepareKafka();
  broker = await startPrivateKafka({ heap: { min: '512m', max: '1g' } });
  await startSimChild();
  const subjects = allSubjects();
  const order = (ss: Subject[], i: number) => (i % 2 === 0 ? ss : [...ss].reverse());
  const best = new Map<string, number[]>();
  if (modes.has('fixed')) {
    const rate = num('rate');
    const rs: Result[] = [];
    for (let i = 0; i < rounds; i++)
      for (const s of order(subjects, i))
        rs.push(await runOne(broker, s, rate, Math.round(rate * num('seconds'))));
    printTable(`fixed rate ${rate} ev/s for ${a.seconds} s, ${rounds} rounds (median (min-max))`, rs);
    ratios(rs);
  }
  if (modes.has('ladder')) {
    const rates = String(a.ladder).split(',').map(Number);
    const rs: Result[] = [];
    for (let round = 0; round < rounds; round++) {
      const out = new Set<string>();
      const top = new Map<string, number>();
      for (const [i, rate] of rates.entries())
        for (const s of order(subjects, i + round)) {
          if (out.has(s.key)) continue;
          const r = await runOne(broker, s, rate, Math.round(rate * num('ladder-seconds')));
          rs.push(r);
          const ok = r.lost === 0 && r.duplicates === 0 && r.drained && r.p99 <= num('lag-bound-ms');
          console.log(
            `  ladder round ${round + 1} ${s.name} @${rate} (generator ${f(r.offeredRate, 0)} ev/s): ${ok ? 'sustained' : 'FAILED'} ` +
              `(lost ${r.lost}, dup ${r.duplicates}, p99 ${f(r.p99, 0)} ms, CPU ${f(r.cpuPer1k)} ms/1k)`,
          );
          if (ok) top.set(s.key, rate);
          else out.add(s.key);
        }
      for (const s of subjects) best.set(s.key, [...(best.get(s.key) ?? []), top.get(s.key) ?? 0]);
    }
    printTable(
      `ladder, ${a['ladder-seconds']} s per step, ${rounds} rounds (sustained = nothing lost or duplicated, Kafka p99 ≤ ${a['lag-bound-ms']} ms)`,
      rs,
    );
    for (const s of subjects) {
      const per = best.get(s.key) ?? [];
      console.log(
        `highest sustained rate ${s.name}: ${Math.min(...per) || 'none'} in every round (rounds: ${per.join(', ')})`,
      );
    }
    const last = rates.at(-1) as number;
    const cTop = Math.min(...(best.get('c') ?? [0]));
    if (subjects.some((s) => s.key === 'c') && cTop >= last)
      console.log(`note: c sustained the top of the ladder (${last}); its ceiling is above it`);
  }
  if (modes.has('steady')) {
    const wanted = list('steady-variants');
    const ss = subjects.filter((s) => wanted.has(s.key));
    const events = num('steady-events');
    const rs: Result[] = [];
    for (let i = 0; i < num('steady-rounds'); i++)
      for (const s of order(ss, i + 1)) rs.push(await runOne(broker, s, num('steady-rate'), events));
    printTable(
      `steady state: ${events} distinct events at ${a['steady-rate']} ev/s = ${f(events / DEFAULT_DEDUP_CAP, 1)}× the default DEDUP_MAX_ENTRIES (${DEFAULT_DEDUP_CAP}, not changed)`,
      rs,
      'tenths',
    );
    for (const r of rs)
      console.log(
        `${r.subject}: CPU ms/1k first tenth ${f(r.firstTenthPer1k)}, last tenth ${f(r.lastTenthPer1k)}, last/first ${f(r.lastTenthPer1k / r.firstTenthPer1k, 2)} ` +
          `(within 15 %: ${Math.abs(r.lastTenthPer1k / r.firstTenthPer1k - 1) <= 0.15 ? 'yes' : 'NO'}), reconnects ${r.reconnects}, lost ${r.lost}, dup ${r.duplicates}`,
      );
    ratios(rs);
  }
  if (modes.has('overload')) {
    // b's rate sustained in every round; if none, the best single round's (a noisy machine).
    const bRounds = best.get('b') ?? [0];
    const bBest = Math.min(...bRounds) || Math.max(...bRounds);
    const rate = a['overload-rate'] !== undefined ? num('overload-rate') : 2 * (bBest || 50_000);
    const wanted = list('overload-variants');
    const ss = subjects.filter((s) => wanted.has(s.key));
    const rs: Result[] = [];
    for (let i = 0; i < rounds; i++)
      for (const s of order(ss, i))
        rs.push(await runOne(broker, s, rate, Math.round(rate * num('overload-seconds'))));
    printTable(
      `overload: ${rate} ev/s for ${a['overload-seconds']} s (2× b's highest sustained rate${bBest ? ` ${bBest}` : ': none found (or ladder not run), 50000 assumed'}${a['overload-rate'] ? '; --overload-rate given' : ''})`,
      rs,
      'overload',
    );
  }
} finally {
  simChild?.send({ op: 'close' });
  await broker?.stop().catch(() => {});
}
console.log(`load after: ${JSON.stringify(machineLoad())}; ${f((Date.now() - started) / 60_000)} min`);
