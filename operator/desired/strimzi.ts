/**
 * spec.kafka.topics.mode strimzi, pure: one KafkaTopic (kafka.strimzi.io/v1beta2) per topic the
 * forwarder writes, with the settings of mode ensure (operator/topics/desired.ts), and one
 * KafkaUser named like the forwarder's other children, authenticated by SCRAM-SHA-512 or TLS, whose
 * ACLs allow only what the forwarder does: Write and Describe on its own topics, IdempotentWrite
 * on the cluster. Rendered only when the cluster serves both CRDs (discovered, never required).
 * The Strimzi User Operator writes the user's credentials into a Secret of the KafkaUser's name
 * (`password` for SCRAM; `user.crt`, `user.key` for TLS), which the forwarder pod gets
 * (deployment.ts, config-file.ts).
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { AlpacaForwarder } from '../api/types.ts';
import { desiredTopics, type RecordKind } from '../topics/desired.ts';
import { childMetadata, childName } from './names.ts';

export const STRIMZI_API_VERSION = 'kafka.strimzi.io/v1beta2';
export const STRIMZI_CLUSTER_LABEL = 'strimzi.io/cluster';
/** Keys of the Secret the Strimzi User Operator writes for a KafkaUser. */
export const STRIMZI_USER_SECRET_KEYS = { password: 'password', cert: 'user.crt', key: 'user.key' } as const;

export interface KafkaTopic extends KubernetesObject {
  apiVersion: typeof STRIMZI_API_VERSION;
  kind: 'KafkaTopic';
  spec: { topicName: string; partitions: number; replicas: number; config: Record<string, string | number> };
}

export interface KafkaUserAcl {
  resource: { type: 'topic'; name: string; patternType: 'literal' } | { type: 'cluster' };
  operations: string[];
}

export interface KafkaUser extends KubernetesObject {
  apiVersion: typeof STRIMZI_API_VERSION;
  kind: 'KafkaUser';
  spec: {
    authentication: { type: 'scram-sha-512' | 'tls' };
    authorization: { type: 'simple'; acls: KafkaUserAcl[] };
  };
}

const KIND_SLUG: Record<RecordKind, string> = {
  trades: 'trades',
  quotes: 'quotes',
  bars: 'bars',
  status: 'status',
  tradeUpdates: 'trade-updates',
};

/** The KafkaUser's name; also the name of the Secret its User Operator writes and the SCRAM user name. */
export function strimziUserName(af: AlpacaForwarder): string {
  return childName(af);
}

/** strimziUserName from the resource's name alone (childName's `<name>-forwarder`). */
export function strimziUserNameFor(resourceName: string): string {
  return `${resourceName}-forwarder`;
}

/** True when the resource uses Strimzi's KafkaUser for the forwarder's credentials. */
export function usesStrimziUser(af: AlpacaForwarder): boolean {
  return af.spec.kafka.topics.mode === 'strimzi' && af.spec.kafka.topics.strimzi !== undefined;
}

function strimziMetadata(af: AlpacaForwarder, name: string, cluster: string) {
  const meta = childMetadata(af, 'forwarder', name);
  return { ...meta, labels: { ...meta.labels, [STRIMZI_CLUSTER_LABEL]: cluster } };
}

export function buildKafkaTopics(af: AlpacaForwarder): KafkaTopic[] {
  const cluster = af.spec.kafka.topics.strimzi?.cluster;
  if (!cluster) return [];
  return desiredTopics(af).map((t) => ({
    apiVersion: STRIMZI_API_VERSION,
    kind: 'KafkaTopic',
    // Topic names may hold '_' and capitals; the object is named by the first record kind.
    metadata: strimziMetadata(af, `${childName(af)}-${KIND_SLUG[t.kinds[0] ?? 'status']}`, cluster),
    spec: {
      topicName: t.name,
      partitions: t.partitions,
      replicas: t.replicationFactor,
      config: {
        'retention.ms': Number(t.configs['retention.ms']),
        'compression.type': t.configs['compression.type'],
        'min.insync.replicas': Number(t.configs['min.insync.replicas']),
      },
    },
  }));
}

export function buildKafkaUser(af: AlpacaForwarder): KafkaUser | undefined {
  const strimzi = af.spec.kafka.topics.strimzi;
  if (!strimzi) return undefined;
  return {
    apiVersion: STRIMZI_API_VERSION,
    kind: 'KafkaUser',
    metadata: strimziMetadata(af, strimziUserName(af), strimzi.cluster),
    spec: {
      authentication: { type: strimzi.authentication },
      authorization: {
        type: 'simple',
        acls: [
          ...desiredTopics(af).map(
            (t): KafkaUserAcl => ({
              resource: { type: 'topic', name: t.name, patternType: 'literal' },
              operations: ['Write', 'Describe'],
            }),
          ),
          { resource: { type: 'cluster' }, operations: ['IdempotentWrite'] },
        ],
      },
    },
  };
}
