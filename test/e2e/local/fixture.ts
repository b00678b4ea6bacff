/**
 * One local stack for an e2e test file (control plane, Kafka, Alpaca simulator, operator, pod
 * runner) with what the tests observe: captured operator/forwarder logs, every record of the
 * default topics, the Secret values that must never leak, and simulator accounts for the samples
 * plus one per extra resource (one Alpaca account per AlpacaForwarder, as in production).
 */
import { randomBytes } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import { installCrd } from '../../infra/local-stack/samples.ts';
import { DEFAULT_TOPICS, type LocalStack, startLocalStack } from '../../infra/local-stack/stack.ts';
import type { AlpacaSim } from '../../sim/alpaca/index.ts';
import { KafkaCollector } from './kafka-collector.ts';
import { LogCapture } from './log-capture.ts';

export interface Account {
  keyId: string;
  secretKey: string;
}

export interface E2eStack {
  stack: LocalStack;
  sim: AlpacaSim;
  kc: KubeConfig;
  logs: LogCapture;
  kafka: KafkaCollector;
  /** Every Secret value handed to the cluster (account secrets, Kafka passwords). */
  secretValues: string[];
  /** The extra (non-sample) accounts by the name the test asked for. */
  accounts: Record<string, Account>;
  /** kubectl apply --server-side of objects given as JSON. */
  apply(...objects: unknown[]): Promise<void>;
  stop(): Promise<void>;
}

const secret = (label: string): string => `SK${label}-${randomBytes(12).toString('hex')}`;

export async function startE2eStack(extraAccounts: string[]): Promise<E2eStack> {
  const logs = new LogCapture();
  const accounts: Record<string, Account> = {};
  const simAccounts: Record<string, { secret: string }> = {
    PKSAMPLE1: { secret: secret('SAMPLE1') },
    PKSAMPLE2: { secret: secret('SAMPLE2') },
  };
  for (const name of extraAccounts) {
    const keyId = `PK${name.toUpperCase().replace(/[^A-Z0-9]/g, '')}`;
    const account = { keyId, secretKey: secret(name.toUpperCase()) };
    accounts[name] = account;
    simAccounts[keyId] = { secret: account.secretKey };
  }
  const stack = await startLocalStack({
    sim: { accounts: simAccounts },
    operatorEnv: { LOG_LEVEL: 'info' },
    onForwarderLine: logs.onForwarderLine,
    onOperatorLine: logs.onOperatorLine,
    ...(process.env.E2E_VERBOSE === '1'
      ? { log: (l: string) => process.stderr.write(`[stack] ${l}\n`) }
      : {}),
  });
  const sim = stack.sim;
  if (sim === undefined) throw new Error('the e2e stack runs with the Alpaca simulator');
  const kafka = new KafkaCollector(stack.kafka.info, DEFAULT_TOPICS);
  try {
    await kafka.start();
    await installCrd(stack);
  } catch (err) {
    await kafka.stop().catch(() => undefined);
    await stack.stop();
    throw err;
  }
  return {
    stack,
    sim,
    kc: stack.controlPlane.kubeConfig(),
    logs,
    kafka,
    secretValues: [...Object.values(simAccounts).map((a) => a.secret), stack.kafka.info.user.password],
    accounts,
    apply: async (...objects: unknown[]) => {
      const list = { apiVersion: 'v1', kind: 'List', items: objects };
      await stack.kubectl(
        ['apply', '--server-side', '--field-manager=e2e-test', '-f', '-'],
        JSON.stringify(list),
      );
    },
    stop: async () => {
      await kafka.stop().catch(() => undefined);
      await stack.stop();
    },
  };
}
