/**
 * `symbolsFrom` (design §3.1): polls an HTTP endpoint for the desired symbol list; the static
 * `symbols` list is the fallback until the first good answer. A failed, empty or invalid answer
 * keeps the last good list (logged), so an endpoint outage never unsubscribes anything.
 */
import type { Logger } from 'pino';
import { symbolListSchema } from '../../contracts/config-file.ts';

/** Accepts `["AAPL", ...]`, `[{symbol: "AAPL"}, ...]` or `{symbols|hot_symbols: [...]}`. Pure. */
export function parseSymbolsResponse(
  body: unknown,
): { ok: true; symbols: string[] } | { ok: false; reason: string } {
  let list: unknown = body;
  if (list !== null && typeof list === 'object' && !Array.isArray(list)) {
    const o = list as Record<string, unknown>;
    list = o.symbols ?? o.hot_symbols;
  }
  if (!Array.isArray(list)) return { ok: false, reason: 'not_a_symbol_list' };
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

export interface SymbolsPollerDeps {
  url: string;
  intervalMs: number;
  logger: Logger;
  onSymbols(symbols: string[]): void;
  fetch?: typeof fetch;
  requestTimeoutMs?: number;
}

export interface SymbolsPoller {
  /** Polls once now (resolves after the answer was handled) and then every interval. */
  start(): Promise<void>;
  stop(): void;
}

export function createSymbolsPoller(deps: SymbolsPollerDeps): SymbolsPoller {
  const doFetch = deps.fetch ?? fetch;
  const logger = deps.logger.child({ component: 'symbols-source' });
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let last: string | null = null;

  async function pollOnce(): Promise<void> {
    let reason: string;
    try {
      const res = await doFetch(deps.url, { signal: AbortSignal.timeout(deps.requestTimeoutMs ?? 10_000) });
      if (!res.ok) {
        reason = `http_${res.status}`;
      } else {
        const r = parseSymbolsResponse(await res.json());
        if (r.ok) {
          const key = r.symbols.join(',');
          if (key !== last) {
            last = key;
            logger.info({ symbols: r.symbols.length }, 'desired symbols updated from symbolsFrom');
            deps.onSymbols(r.symbols);
          }
          return;
        }
        reason = r.reason;
      }
    } catch (err) {
      reason = (err as Error).name === 'TimeoutError' ? 'timeout' : 'fetch_error';
    }
    logger.warn({ reason }, 'symbolsFrom poll failed; keeping the last known symbols');
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
  };
}
