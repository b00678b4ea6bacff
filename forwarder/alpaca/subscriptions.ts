/**
 * Subscription sets (pure): normalisation, the diff between what the server has and what the
 * forwarder wants, and the subscribe/unsubscribe messages that carry it.
 */
import type { SubscriptionSet } from './types.ts';

export const SUBSCRIPTION_CHANNELS = ['trades', 'quotes', 'bars', 'updatedBars', 'statuses'] as const;
export type SubscriptionChannel = (typeof SUBSCRIPTION_CHANNELS)[number];

export const EMPTY_SUBSCRIPTIONS: SubscriptionSet = {
  trades: [],
  quotes: [],
  bars: [],
  updatedBars: [],
  statuses: [],
};

function normaliseList(list: readonly string[]): string[] {
  const out = new Set<string>();
  for (const s of list) {
    const v = s.trim().toUpperCase();
    if (v !== '') out.add(v);
  }
  return [...out].sort();
}

/** Upper-cases, trims, deduplicates and sorts every channel's symbols. */
export function normaliseSubscriptions(set: Partial<SubscriptionSet>): SubscriptionSet {
  return {
    trades: normaliseList(set.trades ?? []),
    quotes: normaliseList(set.quotes ?? []),
    bars: normaliseList(set.bars ?? []),
    updatedBars: normaliseList(set.updatedBars ?? []),
    statuses: normaliseList(set.statuses ?? []),
  };
}

export function isEmptySubscription(set: SubscriptionSet): boolean {
  return SUBSCRIPTION_CHANNELS.every((c) => set[c].length === 0);
}

export function sameSubscriptions(a: SubscriptionSet, b: SubscriptionSet): boolean {
  const na = normaliseSubscriptions(a);
  const nb = normaliseSubscriptions(b);
  return SUBSCRIPTION_CHANNELS.every(
    (c) => na[c].length === nb[c].length && na[c].every((s, i) => s === nb[c][i]),
  );
}

export interface SubscriptionDiff {
  subscribe: SubscriptionSet;
  unsubscribe: SubscriptionSet;
}

/** What to send to go from `current` to `next`: removals as unsubscribe, additions as subscribe. */
export function diffSubscriptions(current: SubscriptionSet, next: SubscriptionSet): SubscriptionDiff {
  const cur = normaliseSubscriptions(current);
  const nxt = normaliseSubscriptions(next);
  const subscribe = { ...EMPTY_SUBSCRIPTIONS };
  const unsubscribe = { ...EMPTY_SUBSCRIPTIONS };
  for (const c of SUBSCRIPTION_CHANNELS) {
    const have = new Set(cur[c]);
    const want = new Set(nxt[c]);
    subscribe[c] = nxt[c].filter((s) => !have.has(s));
    unsubscribe[c] = cur[c].filter((s) => !want.has(s));
  }
  return { subscribe, unsubscribe };
}

/** `{action, trades: [...], ...}` with only the non-empty channels, or null when there is nothing to send. */
export function subscriptionMessage(
  action: 'subscribe' | 'unsubscribe',
  set: SubscriptionSet,
): Record<string, unknown> | null {
  const msg: Record<string, unknown> = { action };
  let any = false;
  for (const c of SUBSCRIPTION_CHANNELS) {
    if (set[c].length > 0) {
      msg[c] = [...set[c]];
      any = true;
    }
  }
  return any ? msg : null;
}

/**
 * The same as subscriptionMessage, split so that no message carries more than `maxEntries`
 * symbol entries over all channels (very large single subscribe messages are reported to be
 * partly ignored by Alpaca). Empty when there is nothing to send.
 */
export function subscriptionMessages(
  action: 'subscribe' | 'unsubscribe',
  set: SubscriptionSet,
  maxEntries: number,
): Record<string, unknown>[] {
  const limit = Math.max(1, Math.floor(maxEntries));
  const out: Record<string, unknown>[] = [];
  let current: Record<string, unknown> = { action };
  let used = 0;
  for (const c of SUBSCRIPTION_CHANNELS) {
    let rest = [...set[c]];
    while (rest.length > 0) {
      if (used === limit) {
        out.push(current);
        current = { action };
        used = 0;
      }
      const take = rest.slice(0, limit - used);
      rest = rest.slice(take.length);
      current[c] = take;
      used += take.length;
    }
  }
  if (used > 0) out.push(current);
  return out;
}

/** Reads a `subscription` control message; missing keys mean empty, unknown keys are ignored. */
export function subscriptionFromAck(msg: Record<string, unknown>): SubscriptionSet {
  const pick = (k: string): string[] => {
    const v = msg[k];
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  };
  return normaliseSubscriptions({
    trades: pick('trades'),
    quotes: pick('quotes'),
    bars: pick('bars'),
    updatedBars: pick('updatedBars'),
    statuses: pick('statuses'),
  });
}

/** Every channel's symbols of `a` and `b` together (each ack holds the full set; the union covers split lists). */
export function unionSubscriptions(a: SubscriptionSet, b: SubscriptionSet): SubscriptionSet {
  const out = { ...EMPTY_SUBSCRIPTIONS };
  for (const c of SUBSCRIPTION_CHANNELS) out[c] = [...new Set([...a[c], ...b[c]])].sort();
  return out;
}

/**
 * What of `wanted` the server did not confirm in `acked`, per channel (pure). A `*` in the ack
 * covers every symbol of that channel; a wanted `*` needs a `*` in the ack. Both sides are
 * upper-cased first (Alpaca acknowledges symbols upper-cased). Channels outside `reported` (no
 * key in any ack) count as complete.
 */
export function missingFromAck(
  wanted: SubscriptionSet,
  acked: SubscriptionSet,
  reported: ReadonlySet<SubscriptionChannel> = new Set(SUBSCRIPTION_CHANNELS),
): SubscriptionSet {
  const w = normaliseSubscriptions(wanted);
  const a = normaliseSubscriptions(acked);
  const out = { ...EMPTY_SUBSCRIPTIONS };
  for (const c of SUBSCRIPTION_CHANNELS) {
    // A channel the ack does not list at all (the test stream lists only trades, quotes, bars)
    // cannot be checked.
    if (!reported.has(c)) continue;
    const have = new Set(a[c]);
    out[c] = have.has('*') ? [] : w[c].filter((s) => !have.has(s));
  }
  return out;
}

/** Symbol entries over all channels. */
export function countEntries(set: SubscriptionSet): number {
  let n = 0;
  for (const c of SUBSCRIPTION_CHANNELS) n += set[c].length;
  return n;
}

/** The channels a `subscription` message lists (as keys, empty lists included). */
export function ackChannels(msg: Record<string, unknown>): SubscriptionChannel[] {
  return SUBSCRIPTION_CHANNELS.filter((c) => Array.isArray(msg[c]));
}
