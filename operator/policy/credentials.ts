/**
 * One Alpaca stream per account (design §4.1), pure: a resource whose key id hash equals another
 * live resource's recorded hash is refused (condition Stalled, reason CredentialsInUse) unless it
 * wins. The oldest resource wins (metadata.creationTimestamp); ties (same second) are broken by
 * `namespace/name` in lexical order, then by uid, so every reconcile of every resource agrees.
 * Suspended resources and resources being deleted do not hold the account.
 */

export interface CredentialHolder {
  namespace: string;
  name: string;
  uid: string;
  /** RFC 3339 (second precision, as the API server writes it). */
  creationTimestamp: string | undefined;
  /** This resource: computed from its Secret now; others: their status.keyIdHash. */
  keyIdHash: string | undefined;
  suspended?: boolean;
  deleting?: boolean;
}

export type CredentialsDecision =
  | { inUse: false }
  | { inUse: true; holder: { namespace: string; name: string }; message: string };

function sortKey(r: CredentialHolder): [number, string, string] {
  const t = r.creationTimestamp === undefined ? Number.POSITIVE_INFINITY : Date.parse(r.creationTimestamp);
  return [Number.isNaN(t) ? Number.POSITIVE_INFINITY : t, `${r.namespace}/${r.name}`, r.uid];
}

/** True when a was created before b (with the documented tie-break). */
export function olderThan(a: CredentialHolder, b: CredentialHolder): boolean {
  const [ta, na, ua] = sortKey(a);
  const [tb, nb, ub] = sortKey(b);
  if (ta !== tb) return ta < tb;
  if (na !== nb) return na < nb;
  return ua < ub;
}

export function decideCredentialsInUse(
  self: CredentialHolder,
  others: readonly CredentialHolder[],
): CredentialsDecision {
  if (self.keyIdHash === undefined) return { inUse: false };
  const rivals = others.filter(
    (o) =>
      o.uid !== self.uid &&
      !o.suspended &&
      !o.deleting &&
      o.keyIdHash === self.keyIdHash &&
      olderThan(o, self),
  );
  if (rivals.length === 0) return { inUse: false };
  const holder = rivals.reduce((a, b) => (olderThan(a, b) ? a : b));
  return {
    inUse: true,
    holder: { namespace: holder.namespace, name: holder.name },
    message:
      `AlpacaForwarder ${holder.namespace}/${holder.name} already streams with the same Alpaca key id ` +
      `(Alpaca allows one stream connection per key). This resource stays scaled to 0 until that one is ` +
      `deleted, suspended or given other credentials; use a different key here to run both.`,
  };
}
