/**
 * Readiness of a starting broker: polls every listener with a kafkajs admin client (describe
 * cluster, with SASL and TLS where the listener has them) until each answers, failing fast when
 * the JVM exits and after a bound. Checking every listener matters: the broker can serve PLAINTEXT
 * for a moment before failing to bind another listener's port.
 */

import type { KafkaConfig } from 'kafkajs';
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

export interface ReadinessProbe {
  /** Listener name, for error messages. */
  name: string;
  config: KafkaConfig;
}

async function probeOnce(p: ReadinessProbe): Promise<string | null> {
  const admin = new kafkajs.Kafka({
    ...p.config,
    clientId: 'test-infra-readiness',
    connectionTimeout: 1000,
    requestTimeout: 2000,
    retry: { retries: 0 },
    logLevel: kafkajs.logLevel.NOTHING,
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 ? null : 'describeCluster returned no brokers';
  } catch (err) {
    return (err as Error).message;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export async function waitUntilReady(
  probes: ReadinessProbe[],
  jvm: JvmProcess,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Map(probes.map((p) => [p.name, p]));
  const lastError = new Map<string, string>();
  const exitedError = async () => {
    const { code, signal } = await jvm.exited;
    return new BrokerNotReadyError({
      kind: 'exited',
      detail: `the broker JVM exited (code ${code}, signal ${signal}) before it was ready`,
    });
  };
  while (Date.now() < deadline) {
    if (jvm.hasExited()) throw await exitedError();
    for (const [name, p] of pending) {
      const err = await probeOnce(p);
      if (err === null) pending.delete(name);
      else {
        lastError.set(name, err);
        break;
      }
    }
    if (pending.size === 0) {
      if (jvm.hasExited()) throw await exitedError();
      return;
    }
    // Poll interval while the JVM boots; `exited` wins the race when the process dies meanwhile.
    await Promise.race([jvm.exited, new Promise((resolve) => setTimeout(resolve, 300))]);
  }
  const waiting = [...pending.keys()];
  throw new BrokerNotReadyError({
    kind: 'timeout',
    detail:
      `the broker did not answer an admin describeCluster on listener(s) ${waiting.join(', ')} within ${timeoutMs} ms` +
      ` (last error: ${waiting.map((n) => `${n}: ${lastError.get(n) ?? 'no attempt yet'}`).join('; ')})`,
  });
}
