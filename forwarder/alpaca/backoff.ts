/**
 * Reconnect delays (pure; randomness injected). Exponential with full jitter between `baseMs`
 * and the exponential cap (never below base, never above max); a 406 waits at least the
 * lingering window; permanent failures wait a long fixed interval; an upgrade's Retry-After is
 * honoured as a floor.
 */
import { exponentialDelayMs } from '../../lib/time/backoff.ts';
import type { RetryKind } from './error-classification.ts';

export interface BackoffConfig {
  /** First delay floor (design: reconnect.baseMs, default 500). */
  baseMs: number;
  /** Delay cap for transient failures (design: reconnect.maxMs, default 30000). */
  maxMs: number;
  /**
   * Minimum wait after a 406, and the wait after a session that held a slot ended without a
   * close handshake: Alpaca keeps such a session's slot ~90 s.
   */
  cooldown406Ms: number;
  /** Fixed wait after a permanent failure (wrong keys, plan). */
  permanentRetryMs: number;
  /** Healthy time after which the failure count resets. */
  healthyResetMs: number;
}

export const DEFAULT_BACKOFF: BackoffConfig = {
  baseMs: 500,
  maxMs: 30_000,
  cooldown406Ms: 90_000,
  permanentRetryMs: 300_000,
  healthyResetMs: 30_000,
};

/** Upper bound of the jitter range for the n-th consecutive failure (n >= 1). */
export function exponentialCapMs(config: BackoffConfig, failures: number): number {
  // The n-th failure's cap is base × 2^n: one doubling ahead of the shared formula's attempt n.
  return exponentialDelayMs(Math.max(1, Math.floor(failures)) + 1, config.baseMs, config.maxMs);
}

/**
 * Delay before the next attempt after `failures` consecutive failures (>= 1).
 * `random` returns a number in [0, 1).
 */
export function reconnectDelayMs(
  config: BackoffConfig,
  retry: RetryKind,
  failures: number,
  random: () => number,
  retryAfterMs?: number,
): number {
  if (retry === 'permanent') return Math.max(config.permanentRetryMs, retryAfterMs ?? 0);
  const cap = exponentialCapMs(config, failures);
  const floor = Math.min(config.baseMs, cap);
  const r = Math.min(Math.max(random(), 0), 1);
  let delay = Math.round(floor + r * (cap - floor));
  if (retry === 'cooldown_406') delay = Math.max(delay, config.cooldown406Ms);
  if (retryAfterMs !== undefined && retryAfterMs > delay) delay = retryAfterMs;
  return delay;
}

/** Parses an HTTP Retry-After header (seconds or HTTP date) into ms from `nowMs`; undefined when absent or bad. */
export function parseRetryAfterMs(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
