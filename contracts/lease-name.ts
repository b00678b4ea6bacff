/**
 * Name of the connection Lease (design §4.1): one per Alpaca account, derived from the key id by
 * a one-way hash so the name identifies the credentials without revealing them. A contract: the
 * operator uses the same function to scope the forwarder Role's resourceNames to this Lease.
 */
import { createHash } from 'node:crypto';

export const LEASE_NAME_PREFIX = 'alpaca-forwarder-';

/** `alpaca-forwarder-<first 16 hex of sha256(key id)>` (a valid DNS-1123 subdomain). */
export function leaseNameForKeyId(keyId: string): string {
  return `${LEASE_NAME_PREFIX}${createHash('sha256').update(keyId, 'utf8').digest('hex').slice(0, 16)}`;
}
