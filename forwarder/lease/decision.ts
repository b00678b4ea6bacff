/** Pure Lease decisions (design §4.1): who may hold the Alpaca connection for a key. */
import { createHash } from 'node:crypto';

export interface LeaseView {
  holder: string | null;
  durationSeconds: number;
  /** ms epoch of the last renew (or acquire), null if never. */
  renewMs: number | null;
}

export type LeaseDecision = 'create' | 'renew' | 'take' | 'wait';

/** `alpaca-forwarder-<first 16 hex of sha256(key id)>`: names the credentials without revealing them. */
export function leaseName(keyId: string): string {
  return `alpaca-forwarder-${createHash('sha256').update(keyId).digest('hex').slice(0, 16)}`;
}

export function expired(view: LeaseView, nowMs: number): boolean {
  return view.renewMs === null || view.renewMs + view.durationSeconds * 1000 <= nowMs;
}

export function decide(existing: LeaseView | null, me: string, nowMs: number): LeaseDecision {
  if (existing === null) return 'create';
  if (existing.holder === me) return 'renew';
  if (!existing.holder || expired(existing, nowMs)) return 'take';
  return 'wait';
}
