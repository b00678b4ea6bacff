/**
 * The Lease in the readiness contract (design §3.2). While the Lease is not ours the forwarder
 * does not connect, so the Alpaca gates are false, with stable reasons:
 * - `lease_held_by_other`: another process holds a live Lease for these credentials;
 * - `lease_unavailable`: the API server failed or refused the Lease request (e.g. RBAC);
 * - `lease_acquiring`: no answer yet (error_class null, like `<gate>_connecting`).
 * error_class is `unknown` for the first two (no class of the stable set fits, and the operator
 * must not treat it as a 406), unless a gate with a higher-priority class (Kafka) is failing too.
 * detail.lease describes the Lease either way; the holder is a pod name, never a key.
 */

import type { LeaseStatus } from '../../lib/lease/elector.ts';
import type { ReadinessState } from '../health/readiness.ts';

export const LEASE_REASONS = {
  held_by_other: 'lease_held_by_other',
  unavailable: 'lease_unavailable',
  acquiring: 'lease_acquiring',
} as const;

export function leaseDetail(lease: LeaseStatus | null, name: string | null): Record<string, unknown> {
  if (lease === null) return { enabled: false };
  return {
    enabled: true,
    name,
    held: lease.phase === 'held',
    phase: lease.phase,
    holder: lease.holder,
    since: new Date(lease.sinceMs).toISOString(),
    last_renew: lease.lastRenewMs === null ? null : new Date(lease.lastRenewMs).toISOString(),
    error: lease.error,
  };
}

export function applyLease(
  state: ReadinessState,
  lease: LeaseStatus | null,
  name: string | null,
): ReadinessState {
  const detail = { ...state.detail, lease: leaseDetail(lease, name) };
  if (lease === null || lease.phase === 'held') return { ...state, detail };
  const reason =
    lease.phase === 'held_by_other'
      ? LEASE_REASONS.held_by_other
      : lease.phase === 'unavailable'
        ? LEASE_REASONS.unavailable
        : LEASE_REASONS.acquiring;
  const errorClass = reason === LEASE_REASONS.acquiring ? null : 'unknown';
  // A failing Kafka gate with a specific class stays the headline: it is the more actionable one.
  const keepKafka = !state.gates.kafka && state.error_class !== null && state.error_class !== 'unknown';
  return {
    ready: false,
    error_class: keepKafka ? state.error_class : errorClass,
    reason: keepKafka ? state.reason : reason,
    gates: {
      alpaca_ws: false,
      kafka: state.gates.kafka,
      trade_updates: state.gates.trade_updates === null ? null : false,
    },
    detail,
  };
}
