/**
 * Whether a child needs a server-side apply, decided against the informer cache (pure). The
 * intent is stamped with a hash of itself (`torghut.io/applied-hash` on the child's metadata):
 * - the cached object carries another hash (or none) → the intent changed, including fields it
 *   stopped sending, which only an apply removes → apply;
 * - same hash, but a field of the intent has another value in the cached object (someone edited
 *   a field the operator owns) → apply, which takes it back (forced);
 * - same hash and every field of the intent present with its value → the apply would be a no-op → skip.
 * "Present with its value" is a subset test: the server adds defaults (and other managers' fields)
 * the intent does not mention; an empty map or list in the intent matches an absent one (the
 * server drops them); lists must match element by element; members are compared under their
 * wire names.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { shortHash } from '../desired/hash.ts';

export const ANNOTATION_APPLIED_HASH = 'torghut.io/applied-hash';

/** The intent with its own hash in metadata.annotations (the hash excludes that annotation). */
export function stampApplied<T extends KubernetesObject>(intent: T): T {
  const hash = shortHash(intent);
  return {
    ...intent,
    metadata: {
      ...intent.metadata,
      annotations: { ...intent.metadata?.annotations, [ANNOTATION_APPLIED_HASH]: hash },
    },
  };
}

/**
 * The intents use client-node's model types, which rename JSON members that are reserved words
 * (`from` is `_from` in NetworkPolicy peers); the operator's client sends the wire name
 * (kube/client.ts toWire) and the cache holds wire JSON.
 */
function wireKey(k: string): string {
  return k.startsWith('_') ? k.slice(1) : k;
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  return typeof v === 'object' && Object.keys(v as object).length === 0;
}

/** Every member of `want` is in `have` with the same value (recursively). */
export function contains(have: unknown, want: unknown): boolean {
  if (want === undefined) return true;
  if (isEmpty(want) && isEmpty(have)) return true;
  if (want === null || typeof want !== 'object') return have === want;
  if (Array.isArray(want)) {
    if (!Array.isArray(have) || have.length !== want.length) return false;
    return want.every((w, i) => contains(have[i], w));
  }
  if (have === null || typeof have !== 'object' || Array.isArray(have)) return false;
  const h = have as Record<string, unknown>;
  for (const [k, w] of Object.entries(want as Record<string, unknown>)) {
    if (!contains(h[wireKey(k)], w)) return false;
  }
  return true;
}

/** `stamped` is the output of stampApplied; `cached` the informer's copy of the child, if any. */
export function applyNeeded(stamped: KubernetesObject, cached: KubernetesObject | undefined): boolean {
  if (!cached || cached.metadata?.deletionTimestamp) return true;
  const want = stamped.metadata?.annotations?.[ANNOTATION_APPLIED_HASH];
  if (cached.metadata?.annotations?.[ANNOTATION_APPLIED_HASH] !== want) return true;
  return !contains(cached, stamped);
}
