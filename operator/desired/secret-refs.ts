/**
 * The Secret keys a resource references (what the runtime reads to hash, and what the Deployment
 * maps into env or mounts). Pure: names only, never values.
 */
import type { AlpacaForwarderSpec } from '../api/types.ts';
import { STRIMZI_USER_SECRET_KEYS, strimziUserNameFor } from './strimzi.ts';

export type SecretPurpose =
  | 'alpacaKeyId'
  | 'alpacaSecretKey'
  | 'kafkaSaslUsername'
  | 'kafkaSaslPassword'
  | 'kafkaCa'
  | 'symbolsFromHeader'
  | 'kafkaClientCert'
  | 'kafkaClientKey';

export interface SecretKeyRef {
  secret: string;
  key: string;
  purpose: SecretPurpose;
}

/** `resourceName` (metadata.name) names the Strimzi KafkaUser's Secret in mode strimzi. */
export function referencedSecretKeys(spec: AlpacaForwarderSpec, resourceName?: string): SecretKeyRef[] {
  const userName = resourceName === undefined ? undefined : strimziUserNameFor(resourceName);
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
  // mode strimzi: the Secret the Strimzi User Operator writes for the forwarder's KafkaUser.
  const strimzi = spec.kafka.topics?.mode === 'strimzi' ? spec.kafka.topics.strimzi : undefined;
  if (strimzi && userName) {
    if (strimzi.authentication === 'tls') {
      refs.push({ secret: userName, key: STRIMZI_USER_SECRET_KEYS.cert, purpose: 'kafkaClientCert' });
      refs.push({ secret: userName, key: STRIMZI_USER_SECRET_KEYS.key, purpose: 'kafkaClientKey' });
    } else {
      refs.push({ secret: userName, key: STRIMZI_USER_SECRET_KEYS.password, purpose: 'kafkaSaslPassword' });
    }
  }
  const ca = spec.kafka.tls?.caSecretRef;
  if (ca) refs.push({ secret: ca.name, key: ca.key, purpose: 'kafkaCa' });
  // Checked to exist and hashed like the others: a missing key is a condition, a change rolls the pod.
  for (const h of spec.symbolsFrom?.headersFrom ?? [])
    refs.push({ secret: h.secretKeyRef.name, key: h.secretKeyRef.key, purpose: 'symbolsFromHeader' });
  return refs;
}
