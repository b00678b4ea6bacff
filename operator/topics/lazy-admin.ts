/**
 * A TopicAdminFactory that loads its implementation on first use: @platformatic/kafka costs the
 * operator ~47 MiB RSS once imported, and only resources with spec.kafka.topics.mode ensure need
 * it. The factory stays synchronous (the ensurer's contract); the first call of an admin's method
 * waits for the module, a failed load is retried on the next call.
 */
import type { AdminConnection, TopicAdmin, TopicAdminFactory } from './admin.ts';

export function lazyTopicAdmin(load: () => Promise<TopicAdminFactory>): TopicAdminFactory {
  let factory: Promise<TopicAdminFactory> | undefined;
  const loaded = () => {
    factory ??= load().catch((err: unknown) => {
      factory = undefined;
      throw err;
    });
    return factory;
  };
  return (c: AdminConnection): TopicAdmin => {
    let admin: Promise<TopicAdmin> | undefined;
    const get = () => {
      admin ??= loaded().then((f) => f(c));
      return admin;
    };
    return {
      describe: async (names) => (await get()).describe(names),
      create: async (topic) => (await get()).create(topic),
      async close() {
        // Nothing to close when no method ran (the module may never have been loaded).
        if (admin) await (await admin).close();
      },
    };
  };
}

/** The default: @platformatic/kafka's Admin (platformatic-admin.ts), imported when first needed. */
export const platformaticTopicAdmin: TopicAdminFactory = lazyTopicAdmin(
  async () => (await import('./platformatic-admin.ts')).createPlatformaticTopicAdmin,
);
