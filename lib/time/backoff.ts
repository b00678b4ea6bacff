/**
 * The one exponential backoff formula: attempt 1 waits `baseMs`, each further attempt doubles, up
 * to `maxMs`; attempt 0 (or below) waits nothing. Callers add jitter or floors of their own
 * (forwarder/alpaca/backoff.ts: full jitter, the 406 cool-down, Retry-After).
 */
export function exponentialDelayMs(attempt: number, baseMs: number, maxMs: number): number {
  if (attempt <= 0) return 0;
  // The exponent is capped so 2^n stays finite; min() does the rest.
  return Math.min(maxMs, baseMs * 2 ** Math.min(Math.floor(attempt) - 1, 40));
}
