/**
 * TopicAdmin on @platformatic/kafka's Admin client (already the forwarder's Kafka library): the
 * same connection options as the forwarder's producer (platformaticBaseOptions: SASL, TLS with a
 * CA, mutual TLS), short timeouts so a reconcile never hangs on an unreachable cluster, and no
 * automatic topic creation.
 */
import { Admin, ConfigResourceTypes } from '@platformatic/kafka';
import { platformaticBaseOptions } from '../../lib/kafka/platformatic-options.ts';
import type { AdminConnection, TopicAdmin } from './admin.ts';
import { type DesiredTopic, MANAGED_CONFIGS, type ManagedConfig } from './desired.ts';
import type { ExistingTopic } from './plan.ts';

const CONNECT_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 10_000;

/** True when a protocol error type `type` is anywhere on the error's cause/errors chain. */
function hasProtocolError(err: unknown, type: string, depth = 0): boolean {
  if (depth > 8 || err === null || typeof err !== 'object') return false;
  const e = err as { apiId?: unknown; type?: unknown; cause?: unknown; errors?: unknown };
  if (e.apiId === type || e.type === type) return true;
  if (hasProtocolError(e.cause, type, depth + 1)) return true;
  return Array.isArray(e.errors) && e.errors.some((inner) => hasProtocolError(inner, type, depth + 1));
}

export function createPlatformaticTopicAdmin(c: AdminConnection): TopicAdmin {
  const admin = new Admin({
    ...platformaticBaseOptions(
      { clientId: c.clientId, brokers: c.brokers, securityProtocol: c.securityProtocol, sasl: c.sasl },
      {
        connectionTimeoutMs: CONNECT_TIMEOUT_MS,
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
        ...(c.caPem ? { caPem: c.caPem } : {}),
        ...(c.clientCertPem ? { clientCertPem: c.clientCertPem } : {}),
        ...(c.clientKeyPem ? { clientKeyPem: c.clientKeyPem } : {}),
      },
    ),
    retries: 1,
    retryDelay: 200,
  });
  return {
    async describe(names) {
      const listed = new Set(await admin.listTopics({ includeInternals: false }));
      const present = names.filter((n) => listed.has(n));
      const out = new Map<string, ExistingTopic>();
      if (present.length === 0) return out;
      const md = await admin.metadata({ topics: present, forceUpdate: true });
      const configs = await admin.describeConfigs({
        resources: present.map((name) => ({
          resourceType: ConfigResourceTypes.TOPIC,
          resourceName: name,
          configurationKeys: [...MANAGED_CONFIGS],
        })),
      });
      for (const name of present) {
        const t = md.topics.get(name);
        if (!t) continue;
        const described = configs.find((r) => r.resourceName === name);
        const values: Partial<Record<ManagedConfig, string>> = {};
        for (const entry of described?.configs ?? []) {
          if ((MANAGED_CONFIGS as readonly string[]).includes(entry.name) && entry.value !== null) {
            values[entry.name as ManagedConfig] = entry.value;
          }
        }
        out.set(name, {
          partitions: t.partitionsCount,
          replicationFactor: t.partitions[0]?.replicas.length ?? 0,
          configs: values,
        });
      }
      return out;
    },
    async create(topic: DesiredTopic) {
      try {
        await admin.createTopics({
          topics: [topic.name],
          partitions: topic.partitions,
          replicas: topic.replicationFactor,
          configs: (Object.keys(topic.configs).sort() as ManagedConfig[]).map((name) => ({
            name,
            value: topic.configs[name],
          })),
        });
        return true;
      } catch (err) {
        if (hasProtocolError(err, 'TOPIC_ALREADY_EXISTS')) return false;
        throw err;
      }
    },
    async close() {
      await admin.close();
    },
  };
}
