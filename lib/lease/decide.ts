/**
 * Pure Lease decisions with client-go's rules (design §4.1). A candidate may take the Lease when
 * nobody holds it (absent, released) or when the record has not changed for leaseDurationSeconds
 * as measured on the candidate's own clock since it first saw that version: clocks of different
 * nodes are never compared.
 */
import type { LeaseRecord, LeaseSpec } from './store.ts';

export interface LeaseTimings {
  /** How long a holder's record stays valid for others after its last change. */
  leaseDurationMs: number;
  /** The holder gives up (closes its sockets) when it has not renewed for this long. */
  renewDeadlineMs: number;
  /** Pause between attempts (acquire) and between renewals. */
  retryPeriodMs: number;
}

/** client-go's defaults (15 s / 10 s / 2 s) scaled to the configured lease duration. */
export function timingsFor(durationSeconds: number): LeaseTimings {
  const leaseDurationMs = durationSeconds * 1000;
  return {
    leaseDurationMs,
    renewDeadlineMs: Math.round((leaseDurationMs * 2) / 3),
    retryPeriodMs: Math.max(50, Math.round((leaseDurationMs * 2) / 15)),
  };
}

export function validateTimings(t: LeaseTimings): void {
  if (!(t.leaseDurationMs > t.renewDeadlineMs && t.renewDeadlineMs > t.retryPeriodMs && t.retryPeriodMs > 0))
    throw new Error(
      `lease timings need leaseDuration > renewDeadline > retryPeriod > 0 (got ${t.leaseDurationMs}/${t.renewDeadlineMs}/${t.retryPeriodMs} ms)`,
    );
}

/** A version of the record and when (our clock) we first saw it. */
export interface Observation {
  key: string;
  atMs: number;
}

export function observe(record: LeaseRecord | undefined, previous: Observation | undefined, nowMs: number) {
  const key = record
    ? `${record.resourceVersion}|${record.holderIdentity ?? ''}|${record.renewTimeMs ?? ''}`
    : 'absent';
  return previous?.key === key ? previous : { key, atMs: nowMs };
}

export type LeaseDecision =
  | { kind: 'create' }
  /** We are the recorded holder: renew (also after a restart with the same identity). */
  | { kind: 'renew' }
  /** Released, or not renewed for its duration: take it over. */
  | { kind: 'take' }
  /** Another holder's record is live; it expires (for us) at expiresAtMs unless renewed. */
  | { kind: 'wait'; holder: string; expiresAtMs: number };

export function decide(
  record: LeaseRecord | undefined,
  observedAtMs: number,
  identity: string,
  nowMs: number,
  defaultDurationMs: number,
): LeaseDecision {
  if (record === undefined) return { kind: 'create' };
  if (record.holderIdentity === identity) return { kind: 'renew' };
  if (record.holderIdentity === null) return { kind: 'take' };
  const durationMs =
    record.leaseDurationSeconds !== null && record.leaseDurationSeconds > 0
      ? record.leaseDurationSeconds * 1000
      : defaultDurationMs;
  const expiresAtMs = observedAtMs + durationMs;
  if (nowMs >= expiresAtMs) return { kind: 'take' };
  return { kind: 'wait', holder: record.holderIdentity, expiresAtMs };
}

/** The record to write for a create/renew/take decision at `nowMs`. */
export function nextSpec(
  decision: LeaseDecision,
  record: LeaseRecord | undefined,
  identity: string,
  timings: LeaseTimings,
  nowMs: number,
): LeaseSpec {
  const renewing = decision.kind === 'renew' && record !== undefined;
  return {
    holderIdentity: identity,
    leaseDurationSeconds: Math.ceil(timings.leaseDurationMs / 1000),
    acquireTimeMs: renewing ? (record.acquireTimeMs ?? nowMs) : nowMs,
    renewTimeMs: nowMs,
    leaseTransitions: (record?.leaseTransitions ?? 0) + (decision.kind === 'take' ? 1 : 0),
  };
}

/** What release writes: no holder, so the next candidate takes it at once (client-go's release). */
export function releasedSpec(record: LeaseRecord, nowMs: number): LeaseSpec {
  return {
    holderIdentity: null,
    leaseDurationSeconds: 1,
    acquireTimeMs: nowMs,
    renewTimeMs: nowMs,
    leaseTransitions: record.leaseTransitions,
  };
}
