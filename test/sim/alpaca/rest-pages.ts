/**
 * Building one REST page from the history (pure apart from reading it): items ordered by symbol,
 * then time (asc or desc), `limit` counted across symbols, a cursor token for the rest.
 * Minute bars are aggregated for larger timeframes (buckets aligned in UTC; days at New York
 * midnight).
 */
import type { History, HistoryItem } from './history.ts';
import { encodeCursor, type PageCursor, type RestQuery, type Timeframe } from './rest-query.ts';
import { MINUTE_NS, newYorkMidnight, SimTime } from './sim-time.ts';

export interface Page {
  items: Map<string, Record<string, unknown>[]>;
  nextPageToken: string | null;
}

export function buildPage(
  history: History,
  q: RestQuery,
  startNs: bigint | null,
  endNs: bigint | null,
): Page {
  const items = new Map<string, Record<string, unknown>[]>();
  let count = 0;
  let last: PageCursor | null = null;
  const after = q.pageToken;
  for (const symbol of q.symbols) {
    if (after !== null && symbol < after.symbol) continue;
    let list: HistoryItem[] =
      q.kind === 'bars'
        ? aggregate(history.range('bars', symbol, null, null), q.timeframe as Timeframe)
        : history.range(q.kind, symbol, null, null);
    list = list.filter((x) => (startNs === null || x.tNs >= startNs) && (endNs === null || x.tNs <= endNs));
    if (q.sort === 'desc') list = [...list].reverse();
    for (const item of list) {
      if (after !== null && symbol === after.symbol && !isAfter(item, after, q.sort)) continue;
      if (count === q.limit) return { items, nextPageToken: last === null ? null : encodeCursor(last) };
      let out = items.get(symbol);
      if (out === undefined) {
        out = [];
        items.set(symbol, out);
      }
      out.push(item.item);
      last = { symbol, tNs: item.tNs, seq: item.seq };
      count++;
    }
  }
  return { items, nextPageToken: null };
}

function isAfter(item: HistoryItem, c: { tNs: bigint; seq: number }, sort: 'asc' | 'desc'): boolean {
  if (sort === 'asc') return item.tNs > c.tNs || (item.tNs === c.tNs && item.seq > c.seq);
  return item.tNs < c.tNs || (item.tNs === c.tNs && item.seq < c.seq);
}

/** Aggregates minute bars into the timeframe's buckets; 1Min returns them as they are. */
export function aggregate(minuteBars: HistoryItem[], tf: Timeframe): HistoryItem[] {
  if (tf.unit === 'Min' && tf.amount === 1) return minuteBars;
  const buckets = new Map<bigint, HistoryItem[]>();
  for (const b of minuteBars) {
    const start = bucketStart(b.tNs, tf);
    let list = buckets.get(start);
    if (list === undefined) {
      list = [];
      buckets.set(start, list);
    }
    list.push(b);
  }
  const out: HistoryItem[] = [];
  for (const [start, bars] of [...buckets].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const first = bars[0] as HistoryItem;
    const last = bars[bars.length - 1] as HistoryItem;
    const num = (x: HistoryItem, k: string): number => x.item[k] as number;
    const v = bars.reduce((s, x) => s + num(x, 'v'), 0);
    out.push({
      symbol: first.symbol,
      tNs: start,
      seq: 0,
      item: {
        t: new SimTime(start),
        o: num(first, 'o'),
        h: Math.max(...bars.map((x) => num(x, 'h'))),
        l: Math.min(...bars.map((x) => num(x, 'l'))),
        c: num(last, 'c'),
        v,
        n: bars.reduce((s, x) => s + num(x, 'n'), 0),
        vw:
          v === 0
            ? num(last, 'c')
            : Math.round((bars.reduce((s, x) => s + num(x, 'vw') * num(x, 'v'), 0) / v) * 1e6) / 1e6,
      },
    });
  }
  return out;
}

function bucketStart(tNs: bigint, tf: Timeframe): bigint {
  if (tf.unit === 'Min') return tNs - (tNs % (BigInt(tf.amount) * MINUTE_NS));
  if (tf.unit === 'Hour') return tNs - (tNs % (BigInt(tf.amount) * 60n * MINUTE_NS));
  const day = newYorkMidnight(new SimTime(tNs));
  if (tf.unit === 'Day') return day.ns;
  const d = new Date(day.ms + 12 * 3600_000);
  if (tf.unit === 'Week') {
    const back = (d.getUTCDay() + 6) % 7; // Monday start
    return newYorkMidnight(SimTime.fromMs(d.getTime() - back * 86_400_000)).ns;
  }
  const month = Math.floor(d.getUTCMonth() / tf.amount) * tf.amount;
  return newYorkMidnight(SimTime.fromMs(Date.UTC(d.getUTCFullYear(), month, 1, 12))).ns;
}
