/**
 * Recovery per drop: the market-data stream of a baseline git ref (default: the commit before the
 * lingering-slot work) and of this tree, side by side and interleaved, against the Alpaca
 * simulator over real sockets, with Alpaca's real 90 s lingering window and the forwarder's
 * default backoff (base 500 ms, max 30 s, 406 cool-down 90 s). Time is the simulator's manual
 * clock (virtual seconds: the schedule the forwarder would follow), so a run takes seconds.
 *
 *   node bench/reconnect/main.ts [--drops 20] [--rounds 3] [--healthy-ms 5000] [--baseline <ref>]
 *
 * Each run: connect, then `--drops` drops alternating abrupt (TCP destroyed, the slot lingers)
 * and clean (close frame 1011, the slot is free), each after `--healthy-ms` healthy. Recovery =
 * virtual time from the drop to the next `healthy`. Prints the median and p90 per kind, the 406s
 * met, and the ratios baseline / now.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import type {
  MarketDataStream,
  MarketDataStreamConfig,
  MarketDataStreamDeps,
} from '../../forwarder/alpaca/market-data-stream.ts';
import type { StreamState } from '../../forwarder/alpaca/types.ts';
import { type AlpacaSim, ManualClock, startAlpacaSim } from '../../test/sim/alpaca/index.ts';

type CreateStream = (config: MarketDataStreamConfig, deps: MarketDataStreamDeps) => MarketDataStream;

const { values } = parseArgs({
  options: {
    drops: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '3' },
    'healthy-ms': { type: 'string', default: '5000' },
    baseline: { type: 'string', default: '4a5e016' },
  },
});
const DROPS = Number(values.drops);
const ROUNDS = Number(values.rounds);
const HEALTHY_MS = Number(values['healthy-ms']);
const silent = pino({ level: 'silent' }) as unknown as MarketDataStreamDeps['logger'];
const ROOT = join(import.meta.dirname, '..', '..');

/** The baseline's forwarder/ in .tmp/ under the repo (bare imports resolve to node_modules). */
function checkoutBaseline(ref: string): string {
  const dir = join(ROOT, '.tmp', `bench-reconnect-${ref}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const tar = execFileSync('git', ['-C', ROOT, 'archive', ref, 'forwarder'], { maxBuffer: 1 << 28 });
  execFileSync('tar', ['-x', '-C', dir], { input: tar });
  return dir;
}

interface RunResult {
  abrupt: number[];
  clean: number[];
  refused406: number;
}

async function waitFor<T>(list: T[], from: number, pred: (x: T) => boolean): Promise<T> {
  for (;;) {
    for (let i = from; i < list.length; i++) if (pred(list[i] as T)) return list[i] as T;
    await new Promise((r) => setImmediate(r));
  }
}

async function runOnce(create: CreateStream): Promise<RunResult> {
  const clock = new ManualClock();
  const sim: AlpacaSim = await startAlpacaSim({ clock, lingerMs: 90_000, testStream: false });
  const states: StreamState[] = [];
  const stream = create(
    {
      streamUrl: sim.urls.stream,
      feed: 'iex',
      credentials: { keyId: 'PKTEST', secretKey: 'SKTEST' },
      subscriptions: { trades: ['AAPL'], quotes: [], bars: [], updatedBars: [], statuses: [] },
      reconnect: { baseMs: 500, maxMs: 30_000, cooldown406Ms: 90_000 },
      timing: { pingIntervalMs: 3_600_000, handshakeTimeoutMs: 3_600_000 },
    },
    {
      logger: silent,
      onEvents: () => {},
      onState: (s) => states.push(s),
      clock: { now: () => clock.now(), setTimeout: (fn, ms) => clock.setTimer(ms, fn) },
      random: Math.random,
    },
  );
  const result: RunResult = { abrupt: [], clean: [], refused406: 0 };
  try {
    stream.start();
    let conn = await sim.log.waitForConnection();
    await waitFor(states, 0, (s) => s.status === 'healthy');
    for (let i = 0; i < DROPS; i++) {
      const how = i % 2 === 0 ? 'abrupt' : 'clean';
      clock.advance(HEALTHY_MS);
      const from = states.length;
      if (how === 'abrupt') sim.drop(conn.id);
      else sim.closeConnection(conn.id, 1011, 'internal');
      const droppedAt = clock.now();
      // Follow the forwarder's schedule: jump to each next attempt until it is healthy again.
      let seen = from;
      for (;;) {
        const s = await waitFor(states, seen, (x) => x.status !== 'connecting');
        seen = states.indexOf(s, seen) + 1;
        if (s.status === 'healthy') break;
        if (s.nextAttemptAtMs !== undefined) clock.set(s.nextAttemptAtMs);
      }
      result[how].push(clock.now() - droppedAt);
      const prev = conn.id;
      conn = await sim.log.waitForConnection((c) => c.id > prev && c.authAt !== null);
    }
    result.refused406 = sim.log.events.filter((e) => e.type === 'auth' && e.outcome === 406).length;
  } finally {
    await stream.stop();
    await sim.close();
  }
  return result;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
}

const seconds = (ms: number): string => (ms / 1000).toFixed(1);

async function main(): Promise<void> {
  const baseDir = checkoutBaseline(values.baseline);
  const variants: { name: string; create: CreateStream }[] = [
    {
      name: `baseline ${values.baseline}`,
      create: (await import(join(baseDir, 'forwarder/alpaca/market-data-stream.ts')))
        .createMarketDataStream as CreateStream,
    },
    {
      name: 'now',
      create: (await import('../../forwarder/alpaca/market-data-stream.ts'))
        .createMarketDataStream as CreateStream,
    },
  ];
  const totals = variants.map(() => ({ abrupt: [] as number[], clean: [] as number[], refused406: 0 }));
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? [0, 1] : [1, 0];
    for (const v of order) {
      const r = await runOnce((variants[v] as (typeof variants)[number]).create);
      const t = totals[v] as (typeof totals)[number];
      t.abrupt.push(...r.abrupt);
      t.clean.push(...r.clean);
      t.refused406 += r.refused406;
    }
  }
  console.log(
    `recovery per drop, virtual seconds (sim lingering window 90 s; ${DROPS} drops per run alternating abrupt/clean, ${HEALTHY_MS} ms healthy before each; ${ROUNDS} rounds)`,
  );
  console.log(
    'variant                 | abrupt p50 | abrupt p90 | clean p50 | clean p90 | all p50 | 406s met',
  );
  for (const [i, v] of variants.entries()) {
    const t = totals[i] as (typeof totals)[number];
    const all = [...t.abrupt, ...t.clean];
    console.log(
      `${v.name.padEnd(23)} | ${seconds(quantile(t.abrupt, 0.5)).padStart(10)} | ${seconds(quantile(t.abrupt, 0.9)).padStart(10)} | ${seconds(quantile(t.clean, 0.5)).padStart(9)} | ${seconds(quantile(t.clean, 0.9)).padStart(9)} | ${seconds(quantile(all, 0.5)).padStart(7)} | ${t.refused406}`,
    );
  }
  const [b, n] = totals as [(typeof totals)[number], (typeof totals)[number]];
  const ratio = (x: number[], y: number[]) => (quantile(x, 0.5) / quantile(y, 0.5)).toFixed(2);
  console.log(
    `ratio baseline/now (p50): abrupt ${ratio(b.abrupt, n.abrupt)}, clean ${ratio(b.clean, n.clean)}, all ${ratio([...b.abrupt, ...b.clean], [...n.abrupt, ...n.clean])}`,
  );
  rmSync(baseDir, { recursive: true, force: true });
}

await main();
