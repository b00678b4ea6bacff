/**
 * The Kafka Admin API as mode ensure uses it: describe the topics that exist (partitions,
 * replication factor, the managed configs) and create one. platformatic-admin.ts implements it;
 * unit tests use a fake.
 */
import type { DesiredTopic } from './desired.ts';
import type { ExistingTopic } from './plan.ts';

export interface TopicAdmin {
  /** The named topics that exist, described; a missing topic is absent from the map. */
  describe(names: readonly string[]): Promise<Map<string, ExistingTopic>>;
  /** Creates the topic; resolves `false` when it already exists (created meanwhile). */
  create(topic: DesiredTopic): Promise<boolean>;
  close(): Promise<void>;
}

/** How to reach and authenticate to the cluster (from the spec and the admin Secret). */
export interface AdminConnection {
  brokers: string[];
  clientId: string;
  securityProtocol: 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
  sasl?: { mechanism: 'SCRAM-SHA-512' | 'SCRAM-SHA-256' | 'PLAIN'; username: string; password: string };
  /** PEM CA bundle of the brokers' certificates; system roots otherwise. */
  caPem?: string;
  /** Mutual TLS: PEM client certificate and key. */
  clientCertPem?: string;
  clientKeyPem?: string;
}

export type TopicAdminFactory = (c: AdminConnection) => TopicAdmin;
