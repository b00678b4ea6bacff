/**
 * Where the wanted subscriptions come from, wired: channels from the (live) config file, symbols
 * from symbolsFrom once it answered (allowlist applied), else the static list. Every change goes
 * to the freshness monitor and the streams; the live symbol count reaches /readyz (and so the
 * operator's status.symbolCount).
 */
import type { Logger } from 'pino';
import type { SubscriptionSet } from '../alpaca/types.ts';
import { type Env, readEnv } from '../config/env.ts';
import { readHeaderDir } from '../config/header-files.ts';
import { allowedSymbols } from '../config/resolve.ts';
import { subscriptionsFor } from '../config/subscriptions.ts';
import { createSymbolsPoller, type SymbolsPoller } from '../config/symbols-source.ts';
import type { ForwarderConfig } from '../config/types.ts';
import { watchConfigFile } from '../config/watch.ts';
import type { ForwarderMetrics } from '../health/metrics.ts';
import { createSymbolsSourceMetrics } from '../health/subscription-metrics.ts';
import type { ReadinessWiring } from './readiness-wiring.ts';

export interface SymbolSourceDeps {
  config: ForwarderConfig;
  env: Env;
  logger: Logger;
  metrics: ForwarderMetrics;
  readinessWiring: ReadinessWiring;
  /** The wanted subscriptions changed. */
  onSubscriptions(next: SubscriptionSet): void;
}

export interface SymbolSources {
  /** The remote symbol source, when symbolsFrom is set (its first poll gates the first connect). */
  poller: SymbolsPoller | null;
  stop(): void;
}

export function createSymbolSources(d: SymbolSourceDeps): SymbolSources {
  const { config, logger, metrics, readinessWiring } = d;
  let liveConfig = config;
  let remoteSymbols: string[] | null = null;
  readinessWiring.setSymbolCount(() => (remoteSymbols ?? liveConfig.symbols).length);
  const apply = (): void =>
    d.onSubscriptions(
      subscriptionsFor({ symbols: remoteSymbols ?? liveConfig.symbols, channels: liveConfig.channels }),
    );

  const watcher = config.configFile
    ? watchConfigFile(config.configFile, {
        env: readEnv(d.env),
        initial: config,
        logger: logger.child({ component: 'config-watch' }),
        onSubscriptions: (next) => {
          liveConfig = next;
          apply();
        },
        onResult: (result) => metrics.configReloads(result),
      })
    : null;

  const symbolsMetrics = createSymbolsSourceMetrics(metrics.registry);
  const from = config.symbolsFrom;
  const headersDir = from?.headersDir;
  const poller = from
    ? createSymbolsPoller({
        url: from.url,
        intervalMs: from.pollIntervalSeconds * 1000,
        logger,
        ...(headersDir ? { headers: () => readHeaderDir(headersDir) } : {}),
        onResult: (r) => {
          symbolsMetrics.fetched(r.ok ? 'ok' : r.reason);
          if (r.ok) symbolsMetrics.succeeded(r.symbols, r.atMs);
        },
        onSymbols: (symbols) => {
          const allowlist = liveConfig.symbolsAllowlist;
          const allowed = allowlist ? allowedSymbols(symbols, allowlist) : symbols;
          if (allowed.length < symbols.length) {
            logger.warn(
              { symbols: symbols.length, not_allowed: symbols.length - allowed.length },
              allowed.length === 0
                ? 'symbolsFrom: no symbol of the answer is in the allowlist; the previous list stays'
                : 'symbolsFrom: symbols outside the allowlist are left out',
            );
            if (allowed.length === 0) return;
          }
          remoteSymbols = allowed;
          apply();
        },
      })
    : null;
  if (poller) {
    readinessWiring.addDetail('symbols_source', () => {
      const s = poller.status();
      const age = s.last_success_at === null ? null : Date.now() - Date.parse(s.last_success_at);
      return { ...s, last_success_age_ms: age };
    });
  }
  return {
    poller,
    stop() {
      watcher?.close();
      poller?.stop();
    },
  };
}
