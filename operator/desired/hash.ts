/**
 * Stable hashing: canonical JSON (sorted keys, no whitespace) and SHA-256, so equal inputs give
 * equal hashes across processes and releases (server-side apply stays a no-op when nothing changed).
 */
import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level; undefined members are dropped like JSON.stringify. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Short (16 hex, 64-bit) hash for annotations and status. */
export function shortHash(value: unknown): string {
  return sha256Hex(canonicalJson(value)).slice(0, 16);
}

/**
 * Hash of an Alpaca key id (never the id itself), recorded in status.keyIdHash and compared across
 * resources. Domain-separated so it cannot be confused with other hashes of the same string.
 */
export function keyIdHash(keyId: string): string {
  return sha256Hex(`alpaca-key-id\0${keyId}`).slice(0, 16);
}

/** One Secret value the forwarder consumes, identified by Secret name and key. */
export interface SecretValue {
  secret: string;
  key: string;
  value: Uint8Array;
}

/**
 * Hash of the referenced Secret values (rotation changes it and rolls the pod). Each value is
 * hashed on its own first, then combined in (secret, key) order, so the result does not depend
 * on read order and never contains a value.
 */
export function secretHash(values: readonly SecretValue[]): string {
  const parts = values
    .map((v) => `${v.secret}/${v.key}=${sha256Hex(v.value)}`)
    .sort()
    .join('\n');
  return sha256Hex(`secrets\0${parts}`).slice(0, 16);
}
