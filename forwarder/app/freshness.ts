/**
 * Freshness per (channel, symbol) of the market-data stream (docs/forwarder.md, "Freshness").
 *
 * Hot path: `observe` takes each WS batch after the pipeline handled it and, per event, does one
 * Map lookup (symbol → slot) and a Float64Array write (slots are made when the subscription
 * changes, never per event). Times live in a Float64Array because epoch ms are not small
 * integers: storing them in object fields boxes a HeapNumber per write (16 bytes/event measured,
 * bench/hotpath/freshness.ts); the typed array stores them unboxed (no allocation per event). A check every min(5 s, threshold / 4)
 * judges, by the market calendar's phase of the feed:
 * - a symbol is stale on trades/quotes when it had an event on that channel today (since the
 *   session opened) and none for the threshold; in the extended session only while the channel
 *   still flows for other symbols (thin pre/post-market trading is not a fault). A symbol that has
 *   not traded today is never stale.
 * - a symbol is stale on bars when it traded in a minute whose bar has not come a threshold after
 *   that minute ended (Alpaca sends a minute bar only for symbols that traded in it).
 * - a whole channel is stale in the regular session when nothing came on it for the threshold
 *   (bars: threshold + 60 s and, when trades are subscribed, some symbol's bar overdue), counted
 *   from the later of its last event, the connection going live and the open. That is a reconnect
 *   reason (`onChannelSilent`), once per connection; the channel stays stale (across
 *   reconnects) until an event comes on it or the regular session ends.
 * statuses and updated bars are never expected. Changes of the stale set are reported
 * (`onChange`: degraded with the set, healthy once it is empty).
 */
import type { Clock, TimerHandle } from '../../lib/time/clock.ts';
import type { FeedPhase, MarketPhase } from '../alpaca/market-calendar.ts';
import type { AlpacaEvent, SubscriptionSet } from '../alpaca/types.ts';

export type TrackedChannel = 'trades' | 'quotes' | 'bars';
export const TRACKED_CHANNELS: readonly TrackedChannel[] = ['trades', 'quotes', 'bars'];

/**
 * Per symbol, 4 slots in `times` (0 = none yet): last WS receive time of trades, quotes, bars,
 * and the receive time of the first trade not yet covered by a bar.
 */
const TRADES = 0;
const QUOTES = 1;
const BARS = 2;
const TRADE_SINCE_BAR = 3;
const SLOTS = 4;
const SLOT_OF: Record<TrackedChannel, number> = { trades: TRADES, quotes: QUOTES, bars: BARS };

export interface StaleSymbol {
  channel: TrackedChannel;
  symbol: string;
}

export interface FreshnessReport {
  atMs: number;
  phase: MarketPhase;
  staleChannels: TrackedChannel[];
  /** The first `maxListed` stale (channel, symbol) pairs, in subscription order. */
  staleSymbols: StaleSymbol[];
  staleCounts: Record<TrackedChannel, number>;
  /** ms since the last event per subscribed channel (null: none yet or not subscribed). */
  lastEventAgeMs: Record<TrackedChannel, number | null>;
}

export interface FreshnessDeps {
  feed: string;
  /** Silence after which a symbol (report) or a whole channel (reconnect) is stale. */
  staleAfterMs: number;
  clock: Clock;
  phase(nowMs: number): FeedPhase;
  /** The stale set changed (empty = recovered). */
  onChange(report: FreshnessReport): void;
  /** A whole channel is silent while it must flow: reconnect. */
  onChannelSilent(channel: TrackedChannel, silentForMs: number): void;
  /** Every check (metrics). */
  onCheck?(report: FreshnessReport): void;
  /** Bound of the listed stale symbols (counts are complete). Default 50. */
  maxListed?: number;
}

export interface FreshnessMonitor {
  setSubscriptions(set: SubscriptionSet): void;
  /** WS events the pipeline has just handled (hot path). */
  observe(events: readonly AlpacaEvent[]): void;
  /** The market-data connection is live (silence of a channel counts from here at the earliest). */
  connected(atMs: number): void;
  disconnected(): void;
  /** Evaluates now (also run by the timer once started). */
  check(): FreshnessReport;
  snapshot(): FreshnessReport | null;
  start(): void;
  stop(): void;
}

const MINUTE_MS = 60_000;
const EMPTY: SubscriptionSet = { trades: [], quotes: [], bars: [], updatedBars: [], statuses: [] };

export function createFreshnessMonitor(deps: FreshnessDeps): FreshnessMonitor {
  const { clock, staleAfterMs: T } = deps;
  const maxListed = deps.maxListed ?? 50;
  /** symbol → base index into `times`. */
  let index = new Map<string, number>();
  let times = new Float64Array(0);
  let subs: SubscriptionSet = EMPTY;
  /** Last WS receive time per channel (TRADES, QUOTES, BARS). */
  const last3 = new Float64Array(3);
  const channelLast = {
    get trades(): number {
      return last3[TRADES] as number;
    },
    get quotes(): number {
      return last3[QUOTES] as number;
    },
    get bars(): number {
      return last3[BARS] as number;
    },
  };
  const slot = (symbol: string, k: number): number => {
    const base = index.get(symbol);
    return base === undefined ? 0 : (times[base + k] as number);
  };
  let liveSinceMs: number | null = null;
  /** When each channel was found silent (null: not stale). */
  const silentSince: Record<TrackedChannel, number | null> = { trades: null, quotes: null, bars: null };
  let lastKey = '|';
  let last: FreshnessReport | null = null;
  let timer: TimerHandle | null = null;
  let running = false;

  const explicit = (list: readonly string[]): readonly string[] => list.filter((s) => s !== '*');

  function check(): FreshnessReport {
    const now = clock.now();
    const ph = deps.phase(now);
    const staleCounts: Record<TrackedChannel, number> = { trades: 0, quotes: 0, bars: 0 };
    const staleSymbols: StaleSymbol[] = [];
    const keyParts: string[] = [];
    const note = (channel: TrackedChannel, symbol: string): void => {
      staleCounts[channel] += 1;
      keyParts.push(`${channel}:${symbol}`);
      if (staleSymbols.length < maxListed) staleSymbols.push({ channel, symbol });
    };
    let barsOverdue = 0;
    if (ph.phase !== 'closed') {
      for (const channel of ['trades', 'quotes'] as const) {
        const flowing = now - channelLast[channel] < T;
        if (ph.phase === 'extended' && !flowing) continue;
        for (const symbol of explicit(subs[channel])) {
          const at = slot(symbol, SLOT_OF[channel]);
          if (at >= ph.sessionStartMs && now - at >= T) note(channel, symbol);
        }
      }
      for (const symbol of explicit(subs.bars)) {
        const since = slot(symbol, TRADE_SINCE_BAR);
        if (since >= ph.sessionStartMs && now >= Math.floor(since / MINUTE_MS) * MINUTE_MS + MINUTE_MS + T) {
          barsOverdue += 1;
          note('bars', symbol);
        }
      }
    }
    // A silent channel stays stale (across reconnects) until an event comes on it or the
    // regular session ends.
    for (const c of TRACKED_CHANNELS) {
      const since = silentSince[c];
      if (since !== null && (ph.phase !== 'regular' || channelLast[c] > since || subs[c].length === 0))
        silentSince[c] = null;
    }
    if (ph.phase === 'regular' && liveSinceMs !== null) {
      const from = (c: TrackedChannel): number =>
        Math.max(channelLast[c], liveSinceMs ?? 0, ph.regularOpenMs);
      const must: Record<TrackedChannel, boolean> = {
        // FAKEPACA (/v2/test) sends quotes and bars around the clock, trades not reliably.
        trades: subs.trades.length > 0 && deps.feed !== 'test',
        quotes: subs.quotes.length > 0,
        bars:
          subs.bars.length > 0 &&
          (explicit(subs.trades).length === 0 || deps.feed === 'test' || barsOverdue > 0),
      };
      const silentNow: TrackedChannel[] = [];
      for (const c of TRACKED_CHANNELS) {
        const window = c === 'bars' ? T + MINUTE_MS : T;
        if (must[c] && now - from(c) >= window) silentNow.push(c);
      }
      for (const c of silentNow) silentSince[c] ??= now;
      const first = silentNow[0];
      if (first !== undefined) {
        // Once per connection: the reconnect's new connection counts afresh.
        liveSinceMs = null;
        deps.onChannelSilent(first, now - Math.max(channelLast[first], ph.regularOpenMs));
      }
    }
    const staleChannels = TRACKED_CHANNELS.filter((c) => silentSince[c] !== null);
    const lastEventAgeMs: Record<TrackedChannel, number | null> = { trades: null, quotes: null, bars: null };
    for (const c of TRACKED_CHANNELS) {
      if (subs[c].length > 0 && channelLast[c] > 0) lastEventAgeMs[c] = now - channelLast[c];
    }
    const report: FreshnessReport = {
      atMs: now,
      phase: ph.phase,
      staleChannels,
      staleSymbols,
      staleCounts,
      lastEventAgeMs,
    };
    last = report;
    deps.onCheck?.(report);
    const key = `${staleChannels.join(',')}|${keyParts.join(',')}`;
    if (key !== lastKey) {
      lastKey = key;
      deps.onChange(report);
    }
    return report;
  }

  function arm(): void {
    const every = Math.max(50, Math.min(5_000, Math.floor(T / 4)));
    timer = clock.setTimeout(() => {
      if (!running) return;
      check();
      arm();
    }, every);
  }

  return {
    setSubscriptions(set) {
      subs = set;
      const wanted = new Set<string>();
      for (const c of TRACKED_CHANNELS) for (const sym of explicit(set[c])) wanted.add(sym);
      const nextIndex = new Map<string, number>();
      const nextTimes = new Float64Array(wanted.size * SLOTS);
      let base = 0;
      for (const sym of wanted) {
        const old = index.get(sym);
        if (old !== undefined) nextTimes.set(times.subarray(old, old + SLOTS), base);
        nextIndex.set(sym, base);
        base += SLOTS;
      }
      index = nextIndex;
      times = nextTimes;
    },
    observe(events) {
      const idx = index;
      const t = times;
      for (let i = 0; i < events.length; i++) {
        const e = events[i] as AlpacaEvent;
        if (e.source !== 'ws') continue;
        const at = e.receivedAtMs;
        const channel = e.channel;
        if (channel === 'trades') {
          last3[TRADES] = at;
          const b = idx.get(e.symbol);
          if (b !== undefined) {
            t[b + TRADES] = at;
            if (t[b + TRADE_SINCE_BAR] === 0) t[b + TRADE_SINCE_BAR] = at;
          }
        } else if (channel === 'quotes') {
          last3[QUOTES] = at;
          const b = idx.get(e.symbol);
          if (b !== undefined) t[b + QUOTES] = at;
        } else if (channel === 'bars') {
          last3[BARS] = at;
          const b = idx.get(e.symbol);
          if (b !== undefined) {
            t[b + BARS] = at;
            // This bar covers trades before the minute it arrived in; later ones wait for the next.
            const since = t[b + TRADE_SINCE_BAR] as number;
            if (since !== 0 && since < at - (at % MINUTE_MS)) t[b + TRADE_SINCE_BAR] = 0;
          }
        }
      }
    },
    connected(atMs) {
      liveSinceMs = atMs;
    },
    disconnected() {
      liveSinceMs = null;
    },
    check,
    snapshot: () => last,
    start() {
      if (running) return;
      running = true;
      arm();
    },
    stop() {
      running = false;
      timer?.cancel();
      timer = null;
    },
  };
}
