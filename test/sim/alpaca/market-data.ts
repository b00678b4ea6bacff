/**
 * Builders for stock stream messages with exactly Alpaca's keys (alpaca-protocol.md §1.6), `T`
 * first, realistic codes, SimTime timestamps with nanosecond fractions. Deterministic given the
 * seed and the clock.
 */
import type { SimClock } from './clock.ts';
import { MINUTE_NS, newYorkMidnight, SimTime, toSimTime } from './sim-time.ts';

export type Message = Record<string, unknown> & { T: string };

/** mulberry32: small deterministic PRNG. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EXCHANGES = ['V', 'P', 'K', 'Q', 'Z', 'N', 'D', 'X', 'J', 'Y'];
const NASDAQ_LISTED = new Set([
  'AAPL',
  'AMD',
  'MSFT',
  'NVDA',
  'TSLA',
  'GOOGL',
  'AMZN',
  'META',
  'NFLX',
  'INTC',
]);
const ARCA_LISTED = new Set(['SPY', 'QQQ', 'IWM', 'DIA', 'GLD', 'EEM']);

/** Tape: C for Nasdaq-listed, B for NYSE Arca/regional, A for NYSE. */
export function tapeOf(symbol: string): 'A' | 'B' | 'C' {
  if (NASDAQ_LISTED.has(symbol)) return 'C';
  if (ARCA_LISTED.has(symbol) || symbol === 'FAKEPACA') return 'B';
  return 'A';
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export class MarketData {
  private readonly rng: () => number;
  private readonly clock: SimClock;
  private lastNs = 0n;
  private nextTradeId = 1;
  private readonly prices = new Map<string, number>();

  constructor(clock: SimClock, seed = 42) {
    this.clock = clock;
    this.rng = seededRandom(seed);
  }

  /** A strictly increasing timestamp near the clock's now, with a nanosecond fraction. */
  now(): SimTime {
    let ns = BigInt(this.clock.now()) * 1_000_000n + BigInt(Math.floor(this.rng() * 1_000_000));
    if (ns <= this.lastNs) ns = this.lastNs + 1n;
    this.lastNs = ns;
    return new SimTime(ns);
  }

  /** Current simulated price of `symbol` (random walk; starts from a symbol-derived level). */
  price(symbol: string, step = true): number {
    let p = this.prices.get(symbol);
    if (p === undefined) {
      let h = 0;
      for (const ch of symbol) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
      p = 20 + (h % 480) + 0.25;
    }
    if (step) p = Math.max(0.5, p * (1 + (this.rng() - 0.5) * 0.002));
    p = round(p, 2);
    this.prices.set(symbol, p);
    return p;
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rng() * xs.length)] as T;
  }

  trade(symbol: string, over: Partial<Message> = {}): Message {
    const size = this.rng() < 0.3 ? 1 + Math.floor(this.rng() * 99) : 100 * (1 + Math.floor(this.rng() * 5));
    return {
      T: 't',
      S: symbol,
      i: this.nextTradeId++,
      x: this.pick(EXCHANGES),
      p: this.price(symbol),
      s: size,
      c: size < 100 ? ['@', 'I'] : ['@'],
      z: tapeOf(symbol),
      t: this.now(),
      ...stripT(over),
    };
  }

  quote(symbol: string, over: Partial<Message> = {}): Message {
    const mid = this.price(symbol);
    const spread = Math.max(0.01, round(mid * 0.0002, 2));
    return {
      T: 'q',
      S: symbol,
      bx: this.pick(EXCHANGES),
      bp: round(mid - spread / 2, 2),
      bs: 1 + Math.floor(this.rng() * 9),
      ax: this.pick(EXCHANGES),
      ap: round(mid + spread / 2, 2),
      as: 1 + Math.floor(this.rng() * 9),
      c: ['R'],
      z: tapeOf(symbol),
      t: this.now(),
      ...stripT(over),
    };
  }

  /** Minute bar; `t` = the minute start (default: the minute before now). */
  bar(symbol: string, over: Partial<Message> = {}, type: 'b' | 'u' = 'b'): Message {
    const start =
      over.t !== undefined
        ? toSimTime(over.t)
        : SimTime.fromMs(this.clock.now()).floorTo(MINUTE_NS).plusNs(-MINUTE_NS);
    const o = this.price(symbol);
    const c = this.price(symbol);
    const h = round(Math.max(o, c) * (1 + this.rng() * 0.0005), 2);
    const l = round(Math.min(o, c) * (1 - this.rng() * 0.0005), 2);
    const v = 100 * (1 + Math.floor(this.rng() * 500));
    return {
      T: type,
      S: symbol,
      o,
      h,
      l,
      c,
      v,
      n: 1 + Math.floor(v / 150),
      vw: round((o + h + l + c) / 4, 6),
      t: start,
      ...stripT(over, ['t']),
    };
  }

  updatedBar(symbol: string, over: Partial<Message> = {}): Message {
    return this.bar(symbol, over, 'u');
  }

  dailyBar(symbol: string, over: Partial<Message> = {}): Message {
    const b = this.bar(symbol, { ...over, t: newYorkMidnight(SimTime.fromMs(this.clock.now())) });
    return { ...b, T: 'd', v: (b.v as number) * 400, n: (b.n as number) * 400, ...stripT(over) };
  }

  status(symbol: string, over: Partial<Message> = {}): Message {
    return {
      T: 's',
      S: symbol,
      sc: 'H',
      sm: 'Trading Halt',
      rc: 'T12',
      rm: 'Trading Halted; For information requested by NASDAQ',
      t: this.now(),
      z: tapeOf(symbol),
      ...stripT(over),
    };
  }

  luld(symbol: string, over: Partial<Message> = {}): Message {
    const p = this.price(symbol, false);
    return {
      T: 'l',
      S: symbol,
      u: round(p * 1.05, 2),
      d: round(p * 0.95, 2),
      i: 'B',
      t: this.now(),
      z: tapeOf(symbol),
      ...stripT(over),
    };
  }

  correction(symbol: string, over: Partial<Message> = {}): Message {
    const p = this.price(symbol, false);
    return {
      T: 'c',
      S: symbol,
      x: this.pick(EXCHANGES),
      oi: this.nextTradeId - 1,
      op: p,
      os: 100,
      oc: [' ', '7'],
      ci: this.nextTradeId++,
      cp: round(p + 0.01, 2),
      cs: 100,
      cc: [' ', '7'],
      z: tapeOf(symbol),
      t: this.now(),
      ...stripT(over),
    };
  }

  cancelError(symbol: string, over: Partial<Message> = {}): Message {
    return {
      T: 'x',
      S: symbol,
      i: this.nextTradeId - 1,
      x: this.pick(EXCHANGES),
      p: this.price(symbol, false),
      s: 100,
      a: 'C',
      z: tapeOf(symbol),
      t: this.now(),
      ...stripT(over),
    };
  }

  imbalance(symbol: string, over: Partial<Message> = {}): Message {
    return {
      T: 'i',
      S: symbol,
      p: this.price(symbol, false),
      z: tapeOf(symbol),
      t: this.now(),
      ...stripT(over),
    };
  }
}

/** Overrides without `T` (the builder decides the type), `t` normalised to SimTime. */
function stripT(over: Partial<Message>, drop: string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(over)) {
    if (k === 'T' || drop.includes(k)) continue;
    out[k] = k === 't' && v !== undefined ? toSimTime(v) : v;
  }
  return out;
}

/** Normalises a scripted message: requires `T` (string); converts a string/Date `t` to SimTime, keeping key order. */
export function normaliseMessage(m: unknown): Message {
  if (typeof m !== 'object' || m === null || Array.isArray(m) || typeof (m as Message).T !== 'string') {
    throw new Error(`sim push: each message must be an object with a string T, got ${JSON.stringify(m)}`);
  }
  const src = m as Message;
  if (src.t === undefined || src.t instanceof SimTime) return src;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(src)) out[k] = k === 't' ? toSimTime(v, `message ${src.T} t`) : v;
  return out as Message;
}
