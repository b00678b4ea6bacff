/**
 * Metrics of the subscription check and of the remote symbol source (symbolsFrom), on the
 * forwarder's registry. Names are a contract (docs/forwarder.md § Metrics).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { SUBSCRIPTION_CHANNELS } from '../alpaca/subscriptions.ts';
import type { SubscriptionSet } from '../alpaca/types.ts';

const P = 'alpaca_forwarder_';

export interface SubscriptionMetrics {
  /** Wanted symbols the last check found missing from Alpaca's acks, per channel. */
  missing(set: SubscriptionSet): void;
  resubscribed(set: SubscriptionSet): void;
}

export function createSubscriptionMetrics(registry: Registry): SubscriptionMetrics {
  const registers = [registry];
  const missing = new Gauge({
    name: `${P}subscription_missing_symbols`,
    help: 'Wanted symbols missing from the last subscription acknowledgements, by channel (resubscribed, bounded)',
    labelNames: ['channel'],
    registers,
  });
  const resubscribes = new Counter({
    name: `${P}subscription_resubscribes_total`,
    help: 'Resubscribe messages sent for symbols an acknowledgement left out, by channel',
    labelNames: ['channel'],
    registers,
  });
  for (const channel of SUBSCRIPTION_CHANNELS) {
    missing.set({ channel }, 0);
    resubscribes.inc({ channel }, 0);
  }
  return {
    missing(set) {
      for (const channel of SUBSCRIPTION_CHANNELS) missing.set({ channel }, set[channel].length);
    },
    resubscribed(set) {
      for (const channel of SUBSCRIPTION_CHANNELS) if (set[channel].length > 0) resubscribes.inc({ channel });
    },
  };
}

export interface SymbolsSourceMetrics {
  /** One poll of symbolsFrom.url: `ok` or the stable failure reason. */
  fetched(result: string): void;
  /** A good answer was taken (its symbol count), at `atMs`. */
  succeeded(symbols: number, atMs: number): void;
}

/** Fetch results are a bounded set of labels. */
export const SYMBOLS_FETCH_RESULTS = [
  'ok',
  'http_error',
  'timeout',
  'fetch_error',
  'too_large',
  'too_many_symbols',
  'not_json',
  'not_a_symbol_list',
  'invalid_symbol',
  'empty_result',
  'headers_unreadable',
] as const;

export function createSymbolsSourceMetrics(
  registry: Registry,
  now: () => number = Date.now,
): SymbolsSourceMetrics {
  const registers = [registry];
  const fetches = new Counter({
    name: `${P}symbols_source_fetches_total`,
    help: 'Polls of symbolsFrom.url, by result (ok, or why the answer was refused and the last good list kept)',
    labelNames: ['result'],
    registers,
  });
  for (const result of SYMBOLS_FETCH_RESULTS) fetches.inc({ result }, 0);
  let lastSuccessMs: number | null = null;
  new Gauge({
    name: `${P}symbols_source_last_success_age_seconds`,
    help: 'Seconds since symbolsFrom.url last gave a good answer (-1 before the first)',
    registers,
    collect() {
      this.set(lastSuccessMs === null ? -1 : Math.max(0, (now() - lastSuccessMs) / 1000));
    },
  });
  const symbols = new Gauge({
    name: `${P}symbols_source_symbols`,
    help: 'Symbols in the last good symbolsFrom answer',
    registers,
  });
  return {
    fetched(result) {
      const label = (SYMBOLS_FETCH_RESULTS as readonly string[]).includes(result)
        ? result
        : result.startsWith('http_')
          ? 'http_error'
          : 'fetch_error';
      fetches.inc({ result: label });
    },
    succeeded(n, atMs) {
      lastSuccessMs = atMs;
      symbols.set(n);
    },
  };
}
