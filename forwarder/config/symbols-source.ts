/**
 * `symbolsFrom` (design §3.1): polls an HTTP endpoint for the desired symbol list; the static
 * `symbols` list is the fallback until the first good answer. A failed, empty, oversized or
 * invalid answer keeps the last good list (logged, counted, in /readyz detail), so an endpoint
 * outage or a bad answer never unsubscribes anything and never reaches Alpaca (no 400/405 from a
 * bad list). Headers (e.g. Authorization, from a Secret) are read afresh for every poll.
 */

import type { Logger } from 'pino';
import { symbolListSchema } from '../../contracts/config-file.ts';
import { BodyTooLargeError, readBoundedText } from '../../lib/http/bounded-body.ts';

/** Largest answer read, in bytes; a larger one is refused (`too_large`) unread past the cap. */
export const MAX_SYMBOLS_RESPONSE_BYTES = 1024 * 1024;
/** Most symbols taken from one answer (Alpaca's plans cap subscriptions far below it). */
export const MAX_SOURCE_SYMBOLS = 10_000;

export type ParseResult = { ok: true; symbols: string[] } | { ok: false; reason: string };

/** Accepts `["AAPL", ...]`, `[{symbol: "AAPL"}, ...]` or `{symbols|hot_symbols: [...]}`. Pure. */
export function parseSymbolsResponse(body: unknown, maxSymbols = MAX_SOURCE_SYMBOLS): ParseResult {
  let list: unknown = body;
  if (list !== null && typeof list === 'object' && !Array.isArray(list)) {
    const o = list as Record<string, unknown>;
    list = o.symbols ?? o.hot_symbols;
  }
  if (!Array.isArray(list)) return { ok: false, reason: 'not_a_symbol_list' };
  if (list.length > maxSymbols) return { ok: false, reason: 'too_many_symbols' };
  const raw = list.map((e) =>
    typeof e === 'string'
      ? e
      : e !== null && typeof e === 'object'
        ? (e as Record<string, unknown>).symbol
        : e,
  );
  const parsed = symbolListSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: 'invalid_symbol' };
  if (parsed.data.length === 0) return { ok: false, reason: 'empty_result' };
  return { ok: true, symbols: parsed.data };
}

export type PollResult =
  | { ok: true; symbols: number; changed: boolean; atMs: number }
  | { ok: false; reason: string; atMs: number };

export interface SymbolsPollerDeps {
  url: string;
  intervalMs: number;
  logger: Logger;
  onSymbols(symbols: string[]): void;
  /** Every poll's outcome (metrics). */
  onResult?(result: PollResult): void;
  /** Request headers for each poll (e.g. Authorization from a mounted Secret); never logged. */
  headers?(): Promise<Record<string, string>>;
  fetch?: typeof fetch;
  requestTimeoutMs?: number;
  maxBytes?: number;
  maxSymbols?: number;
  now?: () => number;
}

export interface SymbolsSourceStatus {
  /** `ok` or the last failure's stable reason; null before the first poll. */
  last_result: string | null;
  last_success_at: string | null;
  consecutive_failures: number;
  /** Symbols in the last good answer (null before one). */
  symbols: number | null;
}

export interface SymbolsPoller {
  /** Polls once now (resolves after the answer was handled) and then every interval. */
  start(): Promise<void>;
  stop(): void;
  /** For /readyz detail.symbols_source. */
  status(): SymbolsSourceStatus;
}

export function createSymbolsPoller(deps: SymbolsPollerDeps): SymbolsPoller {
  const doFetch = deps.fetch ?? fetch;
  const now = deps.now ?? Date.now;
  const maxBytes = deps.maxBytes ?? MAX_SYMBOLS_RESPONSE_BYTES;
  const maxSymbols = deps.maxSymbols ?? MAX_SOURCE_SYMBOLS;
  const logger = deps.logger.child({ component: 'symbols-source' });
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let last: string | null = null;
  const status: SymbolsSourceStatus = {
    last_result: null,
    last_success_at: null,
    consecutive_failures: 0,
    symbols: null,
  };

  function result(r: PollResult): void {
    status.last_result = r.ok ? 'ok' : r.reason;
    if (r.ok) {
      status.consecutive_failures = 0;
      status.last_success_at = new Date(r.atMs).toISOString();
      status.symbols = r.symbols;
    } else status.consecutive_failures += 1;
    try {
      deps.onResult?.(r);
    } catch (err) {
      logger.error({ err }, 'symbolsFrom onResult handler threw');
    }
  }

  async function fetchOnce(): Promise<ParseResult> {
    try {
      const headers = deps.headers ? await deps.headers() : {};
      const res = await doFetch(deps.url, {
        headers: { accept: 'application/json', ...headers },
        signal: AbortSignal.timeout(deps.requestTimeoutMs ?? 10_000),
      });
      if (!res.ok) {
        await res.body?.cancel();
        return { ok: false, reason: `http_${res.status}` };
      }
      const text = await readBoundedText(res, maxBytes);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return { ok: false, reason: 'not_json' };
      }
      return parseSymbolsResponse(body, maxSymbols);
    } catch (err) {
      if (err instanceof BodyTooLargeError) return { ok: false, reason: 'too_large' };
      if (err instanceof HeadersError) return { ok: false, reason: 'headers_unreadable' };
      return { ok: false, reason: (err as Error).name === 'TimeoutError' ? 'timeout' : 'fetch_error' };
    }
  }

  async function pollOnce(): Promise<void> {
    const r = await fetchOnce();
    const atMs = now();
    if (r.ok) {
      const key = r.symbols.join(',');
      const changed = key !== last;
      result({ ok: true, symbols: r.symbols.length, changed, atMs });
      if (changed) {
        last = key;
        logger.info({ symbols: r.symbols.length }, 'desired symbols updated from symbolsFrom');
        deps.onSymbols(r.symbols);
      }
      return;
    }
    result({ ok: false, reason: r.reason, atMs });
    logger.warn(
      { reason: r.reason, consecutive_failures: status.consecutive_failures },
      'symbolsFrom poll failed; keeping the last known symbols',
    );
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      void pollOnce().finally(schedule);
    }, deps.intervalMs);
    timer.unref();
  }

  return {
    async start() {
      await pollOnce();
      schedule();
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
    status: () => ({ ...status }),
  };
}

/** Thrown by a `headers` source that cannot read its headers (e.g. a missing mounted file). */
export class HeadersError extends Error {}
