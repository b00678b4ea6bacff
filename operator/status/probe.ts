/**
 * What the operator learned from the forwarder's GET /readyz this reconcile (design §3.2), and the
 * error tracking derived from it. The runtime does the HTTP call; this module is pure.
 */
import type { ReadinessBody } from '../../contracts/readiness.ts';
import type { AlpacaForwarderStatus } from '../api/types.ts';

export type ProbeResult =
  /** A readiness body was received (HTTP 200 or 503) and validated. */
  | { kind: 'body'; httpStatus: number; body: ReadinessBody }
  /** The probe failed: connection refused, timeout, invalid body. `error` is a short stable description, never an upstream string. */
  | { kind: 'failed'; error: string }
  /** No probe was made: no pod to ask (scaled to 0, not yet scheduled, terminating). */
  | { kind: 'skipped' };

export interface ErrorTrack {
  errorClass?: string;
  probeReason?: string;
  /** When the operator first saw errorClass (its own clock), kept while the class persists. */
  errorSince?: string;
}

/**
 * errorClass/probeReason from the probe, errorSince carried over while the class is unchanged.
 * A failed or skipped probe clears the class (no evidence either way), so a restarted pod that
 * reports the same class again starts a fresh errorSince.
 */
export function trackError(
  previous: AlpacaForwarderStatus | undefined,
  probe: ProbeResult,
  now: Date,
): ErrorTrack {
  if (probe.kind !== 'body' || probe.body.ready || probe.body.error_class === null) {
    return probe.kind === 'body' && !probe.body.ready && probe.body.reason
      ? { probeReason: probe.body.reason }
      : {};
  }
  const errorClass = probe.body.error_class;
  const errorSince =
    previous?.errorClass === errorClass && previous.errorSince ? previous.errorSince : now.toISOString();
  return { errorClass, errorSince, ...(probe.body.reason ? { probeReason: probe.body.reason } : {}) };
}
