/**
 * History of what the stream emitted (bars, trades, quotes, daily bars), so REST answers match
 * the stream: an updated bar replaces the stored bar of its minute, a correction rewrites the
 * trade it corrects, a cancel flags it `"u":"canceled"` (Alpaca's REST trades pages keep canceled
 * trades, flagged so). Items are kept per symbol in (time, arrival) order.
 */
import type { Message } from './market-data.ts';
import { SimTime } from './sim-time.ts';

export type HistoryKind = 'bars' | 'trades' | 'quotes' | 'dailyBars';

export interface HistoryItem {
  symbol: string;
  tNs: bigint;
  /** Arrival order; breaks ties between items with the same timestamp. */
  seq: number;
  /** The REST form: the stream message without `T` and `S`. */
  item: Record<string, unknown>;
}

const KIND_OF_TYPE: Record<string, HistoryKind> = {
  b: 'bars',
  u: 'bars',
  t: 'trades',
  q: 'quotes',
  d: 'dailyBars',
};

export class History {
  private readonly data = new Map<HistoryKind, Map<string, HistoryItem[]>>();
  private seq = 0;
  /** Items kept per (kind, symbol); the oldest go first (bounded memory for long demo runs). */
  private readonly limit: number;

  constructor(limit = 200_000) {
    this.limit = limit;
  }

  /** Records a message the stream emitted (other types are ignored). */
  record(m: Message): void {
    const symbol = m.S;
    if (typeof symbol !== 'string' || !(m.t instanceof SimTime)) return;
    if (m.T === 'c') {
      this.correct(symbol, m);
      return;
    }
    if (m.T === 'x') {
      this.cancel(symbol, m);
      return;
    }
    const kind = KIND_OF_TYPE[m.T];
    if (kind === undefined) return;
    const { T: _type, S: _symbol, ...rest } = m;
    const entry: HistoryItem = { symbol, tNs: m.t.ns, seq: this.seq++, item: rest };
    const list = this.list(kind, symbol);
    if (kind === 'bars' || kind === 'dailyBars') {
      const same = list.findIndex((x) => x.tNs === entry.tNs);
      if (same >= 0) {
        list[same] = { ...entry, seq: (list[same] as HistoryItem).seq };
        return;
      }
    }
    // upper bound by time: equal timestamps keep arrival order
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((list[mid] as HistoryItem).tNs <= entry.tNs) lo = mid + 1;
      else hi = mid;
    }
    if (lo === list.length) list.push(entry);
    else list.splice(lo, 0, entry);
    if (list.length > this.limit) list.splice(0, Math.max(1, Math.floor(this.limit / 10)));
  }

  /** Items of `kind` for `symbol` with start <= t <= end (ns), in time order. */
  range(kind: HistoryKind, symbol: string, startNs: bigint | null, endNs: bigint | null): HistoryItem[] {
    return this.list(kind, symbol).filter(
      (x) => (startNs === null || x.tNs >= startNs) && (endNs === null || x.tNs <= endNs),
    );
  }

  symbols(kind: HistoryKind): string[] {
    return [...(this.data.get(kind)?.keys() ?? [])].sort();
  }

  private list(kind: HistoryKind, symbol: string): HistoryItem[] {
    let bySymbol = this.data.get(kind);
    if (bySymbol === undefined) {
      bySymbol = new Map();
      this.data.set(kind, bySymbol);
    }
    let list = bySymbol.get(symbol);
    if (list === undefined) {
      list = [];
      bySymbol.set(symbol, list);
    }
    return list;
  }

  private correct(symbol: string, m: Message): void {
    const trade = this.list('trades', symbol).find((x) => x.item.i === m.oi);
    if (trade === undefined) return;
    trade.item = { ...trade.item, i: m.ci, p: m.cp, s: m.cs, c: m.cc };
  }

  private cancel(symbol: string, m: Message): void {
    if (m.a !== 'C') return;
    const trade = this.list('trades', symbol).find((x) => x.item.i === m.i);
    if (trade !== undefined) trade.item = { ...trade.item, u: 'canceled' };
  }
}
