/**
 * Subscription set semantics (pure): subscribe adds, unsubscribe removes, per channel, `*`
 * included; `corrections`/`cancelErrors` mirror `trades`; a request that would exceed the symbol
 * cap is refused whole (405) and leaves the set unchanged; malformed requests get 400; channels
 * the stock stream lacks get 410.
 */
import {
  type AlpacaError,
  ERRORS,
  FOREIGN_CHANNELS,
  MIRRORED_CHANNELS,
  STOCK_CHANNELS,
  type StockChannel,
} from './protocol.ts';

export type SubscriptionState = Record<StockChannel, readonly string[]>;

export function emptySubscriptions(): SubscriptionState {
  return Object.fromEntries(STOCK_CHANNELS.map((c) => [c, []])) as unknown as SubscriptionState;
}

/** Symbol format Alpaca accepts: upper-case letters/digits with `.`, `/`, `-`; or `*`. */
const SYMBOL = /^(?:\*|[A-Z][A-Z0-9./-]{0,29})$/;

export type SubscriptionResult = { ok: true; next: SubscriptionState } | { ok: false; error: AlpacaError };

export function applySubscriptionRequest(
  current: SubscriptionState,
  action: 'subscribe' | 'unsubscribe',
  request: Record<string, unknown>,
  symbolLimit: number | null,
): SubscriptionResult {
  const changes: Partial<Record<StockChannel, string[]>> = {};
  for (const [key, value] of Object.entries(request)) {
    if (key === 'action') continue;
    if ((FOREIGN_CHANNELS as readonly string[]).includes(key))
      return { ok: false, error: ERRORS.invalidSubscribeAction };
    const isStock = (STOCK_CHANNELS as readonly string[]).includes(key);
    const isMirrored = (MIRRORED_CHANNELS as readonly string[]).includes(key);
    if (!isStock && !isMirrored) continue;
    if (value === null || value === undefined) continue;
    if (!Array.isArray(value) || !value.every((s) => typeof s === 'string' && SYMBOL.test(s))) {
      return { ok: false, error: ERRORS.invalidSyntax };
    }
    if (isStock) changes[key as StockChannel] = value as string[];
  }
  const next = { ...current };
  for (const [channel, symbols] of Object.entries(changes) as [StockChannel, string[]][]) {
    if (symbols.length === 0) continue;
    const set = new Set(current[channel]);
    for (const s of symbols) {
      if (action === 'subscribe') set.add(s);
      else set.delete(s);
    }
    next[channel] = [...set];
  }
  if (action === 'subscribe' && symbolLimit !== null && countSymbols(next) > symbolLimit) {
    return { ok: false, error: ERRORS.symbolLimit };
  }
  return { ok: true, next };
}

/** Distinct concrete symbols across every channel (`*` does not count). */
export function countSymbols(state: SubscriptionState): number {
  const all = new Set<string>();
  for (const c of STOCK_CHANNELS) for (const s of state[c]) if (s !== '*') all.add(s);
  return all.size;
}

/** Whether a message for `symbol` on `channel` passes the subscription. */
export function admits(state: SubscriptionState, channel: StockChannel, symbol: string): boolean {
  const set = state[channel];
  return set.includes('*') || set.includes(symbol);
}

/** The `subscription` control message: full set, corrections/cancelErrors mirroring trades. */
export function subscriptionMessage(
  state: SubscriptionState,
  opts: { testStream: boolean; includeImbalances: boolean },
): Record<string, unknown> {
  if (opts.testStream) {
    return { T: 'subscription', trades: [...state.trades], quotes: [...state.quotes], bars: [...state.bars] };
  }
  const msg: Record<string, unknown> = {
    T: 'subscription',
    trades: [...state.trades],
    quotes: [...state.quotes],
    bars: [...state.bars],
    updatedBars: [...state.updatedBars],
    dailyBars: [...state.dailyBars],
    statuses: [...state.statuses],
    lulds: [...state.lulds],
    corrections: [...state.trades],
    cancelErrors: [...state.trades],
  };
  if (opts.includeImbalances) msg.imbalances = [...state.imbalances];
  return msg;
}
