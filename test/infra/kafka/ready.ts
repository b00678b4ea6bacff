/**
 * Readiness of a starting broker: polls with a kafkajs admin client (describe cluster over
 * PLAINTEXT) until the broker answers, failing fast when the JVM exits and after a bound.
 */
import kafkajs from 'kafkajs';
import type { JvmProcess } from './jvm.ts';

export type ReadyFailure = { kind: 'exited'; detail: string } | { kind: 'timeout'; detail: string };

export class BrokerNotReadyError extends Error {
  readonly failure: ReadyFailure;
  constructor(failure: ReadyFailure) {
    super(failure.detail);
    this.failure = failure;
  }
}

export async function waitUntilReady(broker: string, jvm: JvmProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no attempt yet';
  while (Date.now() < deadline) {
    if (jvm.hasExited()) {
      const { code, signal } = await jvm.exited;
      throw new BrokerNotReadyError({
        kind: 'exited',
        detail: `the broker JVM exited (code ${code}, signal ${signal}) before it was ready`,
      });
    }
    const admin = new kafkajs.Kafka({
      clientId: 'test-infra-readiness',
      brokers: [broker],
      connectionTimeout: 1000,
      requestTimeout: 2000,
      retry: { retries: 0 },
      logLevel: kafkajs.logLevel.NOTHING,
    }).admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length > 0) return;
      lastError = 'describeCluster returned no brokers';
    } catch (err) {
      lastError = (err as Error).message;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    // Poll interval while the JVM boots; `exited` wins the race when the process dies meanwhile.
    await Promise.race([jvm.exited, new Promise((resolve) => setTimeout(resolve, 300))]);
  }
  throw new BrokerNotReadyError({
    kind: 'timeout',
    detail: `the broker did not answer an admin describeCluster on ${broker} within ${timeoutMs} ms (last error: ${lastError})`,
  });
}
