/**
 * Forwarder /readyz bodies (the readiness contract, design 3.2) for operator tests: unit tests of
 * the probe and the reconcile, and the integration /readyz stand-in.
 */
import type { ReadinessBody } from '../../contracts/readiness.ts';

export function readyBody(): ReadinessBody {
  return {
    ready: true,
    error_class: null,
    reason: null,
    gates: { alpaca_ws: true, kafka: true, trade_updates: null },
    since: '2026-11-22T10:00:00Z',
    detail: {},
  };
}

export function failingBody(errorClass: ReadinessBody['error_class'], reason: string | null): ReadinessBody {
  return {
    ready: false,
    error_class: errorClass,
    reason,
    gates: {
      alpaca_ws: errorClass?.startsWith('alpaca') !== true,
      kafka: errorClass?.startsWith('kafka') !== true,
      trade_updates: null,
    },
    since: '2026-11-22T10:00:00Z',
    detail: {},
  };
}
