/**
 * Generated mode for the demo and benchmarks: N events per second over M symbols, driven by the
 * sim clock (the count per tick follows elapsed clock time). Trades and quotes follow a random walk; minute bars are aggregated from the trades
 * actually sent and emitted just after each minute boundary (with the running daily bar), so
 * REST bars equal what the stream delivered. A small share of statuses, LULDs, corrections and
 * cancel-errors is mixed in.
 */
import { type Message, seededRandom } from './market-data.ts';
import type { StockFeed } from './protocol.ts';
import type { AlpacaSim } from './server.ts';
import { MINUTE_NS, newYorkMidnight, SimTime } from './sim-time.ts';

export interface GenerateOptions {
  eventsPerSecond: number;
  symbols: string[];
  /** Feeds to send to (default iex, sip, delayed_sip). */
  feed?: StockFeed | StockFeed[];
  /** Timer period; each tick sends rate × tick events (default 100 ms). */
  tickMs?: number;
  /** Share of trades among trades+quotes (default 0.5). */
  tradeShare?: number;
  /** Share of rare types (statuses, LULDs, corrections, cancel-errors) (default 0.01). */
  rareShare?: number;
  /**
   * One late trade per minute for the previous minute, sent after the half-minute mark with the
   * updated bar (`u`) it causes, as Alpaca does (default true).
   */
  lateTrades?: boolean;
  seed?: number;
}

export interface Generator {
  readonly sent: number;
  stop(): void;
}

interface Agg {
  o: number;
  h: number;
  l: number;
  c: number;
  v: number;
  n: number;
  pv: number;
}

export function startGenerator(sim: AlpacaSim, opts: GenerateOptions): Generator {
  if (!(opts.eventsPerSecond > 0))
    throw new Error(`generate: eventsPerSecond must be > 0, got ${opts.eventsPerSecond}`);
  if (opts.symbols.length === 0) throw new Error('generate: symbols must not be empty');
  const tickMs = opts.tickMs ?? 100;
  const tradeShare = opts.tradeShare ?? 0.5;
  const rareShare = opts.rareShare ?? 0.01;
  const rng = seededRandom(opts.seed ?? 7);
  const push = { ...(opts.feed === undefined ? {} : { feed: opts.feed }) };
  const minuteAgg = new Map<string, Agg>();
  const dayAgg = new Map<string, Agg>();
  let minute = SimTime.fromMs(sim.clock.now()).floorTo(MINUTE_NS).ns;
  let previous: { start: bigint; bars: Map<string, Agg> } | null = null;
  let lateDoneFor: bigint | null = null;
  const lastTradeId = new Map<string, number>();
  let carry = 0;
  let lastTickMs = sim.clock.now();
  let sent = 0;

  const addTrade = (m: Message): void => {
    const p = m.p as number;
    const s = m.s as number;
    for (const map of [minuteAgg, dayAgg]) {
      lastTradeId.set(m.S as string, m.i as number);
      const a = map.get(m.S as string);
      if (a === undefined) map.set(m.S as string, { o: p, h: p, l: p, c: p, v: s, n: 1, pv: p * s });
      else {
        a.h = Math.max(a.h, p);
        a.l = Math.min(a.l, p);
        a.c = p;
        a.v += s;
        a.n++;
        a.pv += p * s;
      }
    }
  };

  const barOf = (T: string, symbol: string, a: Agg, t: SimTime): Message => ({
    T,
    S: symbol,
    o: a.o,
    h: a.h,
    l: a.l,
    c: a.c,
    v: a.v,
    n: a.n,
    vw: Math.round((a.pv / a.v) * 1e6) / 1e6,
    t,
  });

  const closeMinute = (): Message[] => {
    const start = new SimTime(minute);
    const day = newYorkMidnight(start);
    const out: Message[] = [];
    for (const [symbol, a] of minuteAgg) out.push(barOf('b', symbol, a, start));
    for (const symbol of minuteAgg.keys()) out.push(barOf('d', symbol, dayAgg.get(symbol) as Agg, day));
    previous = { start: minute, bars: new Map(minuteAgg) };
    minuteAgg.clear();
    return out;
  };

  /** A trade of the previous minute reported late, and the updated bar it causes. */
  const lateTrade = (): Message[] => {
    if (previous === null || previous.bars.size === 0) return [];
    const symbols = [...previous.bars.keys()];
    const symbol = symbols[Math.floor(rng() * symbols.length)] as string;
    const a = previous.bars.get(symbol) as Agg;
    const t = new SimTime(previous.start + MINUTE_NS - BigInt(1 + Math.floor(rng() * 5_000_000)));
    const trade = sim.data.trade(symbol, { p: a.c, s: 100, c: ['@', 'Z'], t });
    lastTradeId.set(symbol, trade.i as number);
    for (const agg of [a, dayAgg.get(symbol) as Agg]) {
      agg.v += 100;
      agg.n++;
      agg.pv += a.c * 100;
    }
    return [trade, barOf('u', symbol, a, new SimTime(previous.start))];
  };

  const tick = (): void => {
    const now = SimTime.fromMs(sim.clock.now()).floorTo(MINUTE_NS).ns;
    const batch: Message[] = [];
    if (now !== minute) {
      batch.push(...closeMinute());
      minute = now;
    }
    const intoMinuteMs = sim.clock.now() - Number(minute / 1_000_000n);
    if ((opts.lateTrades ?? true) && intoMinuteMs >= 30_000 && lateDoneFor !== minute) {
      lateDoneFor = minute;
      batch.push(...lateTrade());
    }
    // by elapsed clock time, so late timers (a busy machine) do not lower the rate
    const nowMs = sim.clock.now();
    carry += (opts.eventsPerSecond * Math.max(0, nowMs - lastTickMs)) / 1000;
    lastTickMs = nowMs;
    const n = Math.floor(carry);
    carry -= n;
    for (let i = 0; i < n; i++) {
      const symbol = opts.symbols[Math.floor(rng() * opts.symbols.length)] as string;
      const r = rng();
      let m: Message;
      if (r < rareShare) {
        const kind = Math.floor(rng() * 4);
        m =
          kind === 0
            ? sim.data.status(symbol)
            : kind === 1
              ? sim.data.luld(symbol)
              : kind === 2
                ? sim.data.correction(symbol, { oi: lastTradeId.get(symbol) ?? 0 })
                : sim.data.cancelError(symbol, { i: lastTradeId.get(symbol) ?? 0 });
      } else if (r < rareShare + (1 - rareShare) * tradeShare) {
        m = sim.data.trade(symbol);
        addTrade(m);
      } else {
        m = sim.data.quote(symbol);
      }
      batch.push(m);
    }
    sent += batch.length;
    if (batch.length > 0) sim.push(batch, push);
  };

  const timer = sim.clock.setRepeating(tickMs, tick);
  const g: Generator = {
    get sent() {
      return sent;
    },
    stop() {
      timer.cancel();
      sim.forgetGenerator(g);
    },
  };
  return g;
}
