/**
 * The Secret keys a resource references (what the runtime reads to hash, and what the Deployment
 * maps into env or mounts). Pure: names only, never values.
 */
import type { AlpacaForwarderSpec } from '../api/types.ts';

export type SecretPurpose =
  | 'alpacaKeyId'
  | 'alpacaSecretKey'
  | 'kafkaSaslUsername'
  | 'kafkaSaslPassword'
  | 'kafkaCa'
  | 'symbolsFromHeader';

export interface SecretKeyRef {
  secret: string;
  key: string;
  purpose: SecretPurpose;
}

export function referencedSecretKeys(spec: AlpacaForwarderSpec): SecretKeyRef[] {
  const refs: SecretKeyRef[] = [
    {
      secret: spec.credentialsSecretRef.name,
      key: spec.credentialsSecretRef.keyIdKey,
      purpose: 'alpacaKeyId',
    },
    {
      secret: spec.credentialsSecretRef.name,
      key: spec.credentialsSecretRef.secretKeyKey,
      purpose: 'alpacaSecretKey',
    },
  ];
  const sasl = spec.kafka.sasl;
  if (sasl) {
    if (sasl.secretRef.usernameKey) {
      refs.push({
        secret: sasl.secretRef.name,
        key: sasl.secretRef.usernameKey,
        purpose: 'kafkaSaslUsername',
      });
    }
    refs.push({ secret: sasl.secretRef.name, key: sasl.secretRef.passwordKey, purpose: 'kafkaSaslPassword' });
  }
  const ca = spec.kafka.tls?.caSecretRef;
  if (ca) refs.push({ secret: ca.name, key: ca.key, purpose: 'kafkaCa' });
  // Checked to exist and hashed like the others: a missing key is a condition, a change rolls the pod.
  for (const h of spec.symbolsFrom?.headersFrom ?? [])
    refs.push({ secret: h.secretKeyRef.name, key: h.secretKeyRef.key, purpose: 'symbolsFromHeader' });
  return refs;
}
