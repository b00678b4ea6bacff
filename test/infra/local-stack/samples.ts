/**
 * Applies the CRD and config/samples/ to the local control plane with kubectl, exactly as a user
 * would, then points the samples at the local endpoints (Alpaca simulator, local Kafka
 * listeners) and fills their Secrets, with kubectl too. Every command is reported through `log`
 * so the demo shows what it does.
 */
import path from 'node:path';
import { waitForCrdEstablished } from '../kube/index.ts';
import { type LocalStack, REPO_ROOT } from './stack.ts';

export const SAMPLE_NAMESPACE = 'torghut';
export const CRD_NAME = 'alpacaforwarders.torghut.io';

export interface SampleOptions {
  log?: (line: string) => void;
  /** Apply only the test-feed sample (one Alpaca account, e.g. real Alpaca). */
  testFeedOnly?: boolean;
}

function secretYaml(name: string, data: Record<string, string>): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: SAMPLE_NAMESPACE },
    type: 'Opaque',
    stringData: data,
  });
}

export async function installCrd(
  stack: LocalStack,
  log: (line: string) => void = () => undefined,
): Promise<void> {
  const crd = path.join(REPO_ROOT, 'crds', `${CRD_NAME}.yaml`);
  log(`kubectl apply --server-side -f ${path.relative(REPO_ROOT, crd)}`);
  await stack.kubectl(['apply', '--server-side', '-f', crd]);
  await waitForCrdEstablished(stack.controlPlane.kubeConfig(), CRD_NAME);
}

export async function applySamples(stack: LocalStack, options: SampleOptions = {}): Promise<string[]> {
  const log = options.log ?? (() => undefined);
  await installCrd(stack, log);
  const samples = path.join(REPO_ROOT, 'config/samples');
  const names: string[] = [];
  if (options.testFeedOnly) {
    for (const f of [
      '00-namespace.yaml',
      'alpaca-credentials.secret.yaml',
      'alpacaforwarder-test-feed.yaml',
    ]) {
      log(`kubectl apply --server-side -f config/samples/${f}`);
      await stack.kubectl(['apply', '--server-side', '-f', path.join(samples, f)]);
    }
    names.push('fakepaca');
  } else {
    log('kubectl apply --server-side -k config/samples');
    await stack.kubectl(['apply', '--server-side', '-k', samples]);
    names.push('fakepaca', 'iex-equities');
  }

  const [first, second] = stack.alpaca.accounts;
  if (first === undefined) throw new Error('the local stack has no Alpaca account');
  const kafka = stack.kafka.info;
  const secrets: Array<[string, Record<string, string>]> = [
    ['alpaca-credentials', { APCA_API_KEY_ID: first.keyId, APCA_API_SECRET_KEY: first.secretKey }],
  ];
  if (!options.testFeedOnly) {
    if (second === undefined) throw new Error('the iex-equities sample needs a second Alpaca account');
    secrets.push(
      ['alpaca-credentials-iex', { APCA_API_KEY_ID: second.keyId, APCA_API_SECRET_KEY: second.secretKey }],
      ['torghut-forwarder-kafka', { password: kafka.user.password }],
      ['kafka-cluster-ca-cert', { 'ca.crt': kafka.caPem }],
    );
  }
  for (const [name, data] of secrets) {
    log(
      `kubectl apply --server-side --force-conflicts (Secret ${SAMPLE_NAMESPACE}/${name}, values not shown)`,
    );
    await stack.kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], secretYaml(name, data));
  }

  const patches: Array<[string, unknown]> = [
    [
      'fakepaca',
      {
        spec: {
          streamUrl: stack.alpaca.streamUrl,
          dataUrl: stack.alpaca.dataUrl,
          kafka: { bootstrapServers: kafka.brokers('PLAINTEXT') },
        },
      },
    ],
  ];
  if (!options.testFeedOnly) {
    patches.push([
      'iex-equities',
      {
        spec: {
          streamUrl: stack.alpaca.streamUrl,
          dataUrl: stack.alpaca.dataUrl,
          tradeUpdates: { streamUrl: stack.alpaca.tradingStreamUrl },
          kafka: { bootstrapServers: kafka.brokers('SASL_SSL'), sasl: { username: kafka.user.username } },
        },
      },
    ]);
  }
  for (const [name, patch] of patches) {
    const body = JSON.stringify(patch);
    log(`kubectl -n ${SAMPLE_NAMESPACE} patch af ${name} --type merge -p '${body}'`);
    await stack.kubectl(['-n', SAMPLE_NAMESPACE, 'patch', 'af', name, '--type', 'merge', '-p', body]);
  }
  return names;
}
