/**
 * Resolves the Secret-derived inputs of one resource: the key id hash (credentials-in-use check)
 * and the hash of every referenced Secret value (rotation rolls the pod). Values are read, hashed
 * and dropped here; nothing else ever sees them.
 */
import { leaseNameForKeyId } from '../../contracts/lease-name.ts';
import type { AlpacaForwarderSpec } from '../api/types.ts';
import { keyIdHash, type SecretValue, secretHash } from '../desired/hash.ts';
import { referencedSecretKeys } from '../desired/secret-refs.ts';
import type { SecretData } from '../kube/client.ts';
import type { SecretProblem } from '../status/compute.ts';

export type SecretReader = (
  namespace: string,
  name: string,
  keys: readonly string[],
) => Promise<SecretData | undefined>;

export type ResolvedInputs =
  | {
      ok: true;
      secretHash: string;
      keyIdHash: string;
      /** The forwarder's credentials Lease (forwarder/contracts/lease-name.ts). */
      leaseName: string;
    }
  /** A referenced Secret or key is missing: names only, never values. */
  | { ok: false; missing: SecretProblem[] };

export async function resolveSecretInputs(
  namespace: string,
  spec: AlpacaForwarderSpec,
  read: SecretReader,
  resourceName?: string,
): Promise<ResolvedInputs> {
  const refs = referencedSecretKeys(spec, resourceName);
  const bySecret = new Map<string, string[]>();
  for (const r of refs) bySecret.set(r.secret, [...(bySecret.get(r.secret) ?? []), r.key]);
  const values: SecretValue[] = [];
  const missing: SecretProblem[] = [];
  let keyId: Buffer | undefined;
  for (const [secret, keys] of bySecret) {
    const data = await read(namespace, secret, keys);
    if (data === undefined) {
      missing.push({ kind: 'secret_not_found', secret });
      continue;
    }
    for (const key of keys) {
      const v = data.get(key);
      if (v === undefined || v.length === 0) missing.push({ kind: 'key_missing', secret, key });
      else values.push({ secret, key, value: v });
    }
    keyId ??= data.get(spec.credentialsSecretRef.keyIdKey);
  }
  if (missing.length > 0) return { ok: false, missing };
  const id = keyId?.toString('utf8').trim() ?? '';
  const result = {
    ok: true as const,
    secretHash: secretHash(values),
    keyIdHash: keyIdHash(id),
    leaseName: leaseNameForKeyId(id),
  };
  for (const v of values) v.value.fill(0);
  return result;
}

/**
 * Remembers the resolved inputs of each resource against the resourceVersions of the Secrets it
 * references (from the metadata-only Secret cache): while none of them changed, no Secret is
 * read again. Holds hashes only. A Secret the cache does not know is always read.
 */
export class SecretInputsMemo {
  readonly #byKey = new Map<string, { fingerprint: string; inputs: ResolvedInputs }>();

  async resolve(
    key: string,
    namespace: string,
    spec: AlpacaForwarderSpec,
    versionOf: (namespace: string, name: string) => string | undefined,
    read: SecretReader,
    resourceName?: string,
  ): Promise<ResolvedInputs> {
    const refs = referencedSecretKeys(spec, resourceName);
    const versions = [...new Set(refs.map((r) => r.secret))].sort().map((s) => [s, versionOf(namespace, s)]);
    const known = versions.every(([, v]) => v !== undefined);
    const fingerprint = JSON.stringify([refs, versions]);
    const memo = this.#byKey.get(key);
    if (known && memo?.fingerprint === fingerprint) return memo.inputs;
    const inputs = await resolveSecretInputs(namespace, spec, read, resourceName);
    if (known) this.#byKey.set(key, { fingerprint, inputs });
    else this.#byKey.delete(key);
    return inputs;
  }

  forget(key: string): void {
    this.#byKey.delete(key);
  }
}
