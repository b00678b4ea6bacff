/** Objects the e2e tests apply besides the samples: a namespace, Secrets, an AlpacaForwarder. */
import { API_VERSION, KIND } from '../../../operator/api/types.ts';
import type { E2eStack } from './fixture.ts';

export function namespace(name: string) {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

export function secret(ns: string, name: string, data: Record<string, string>) {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: ns },
    type: 'Opaque',
    stringData: data,
  };
}

export function alpacaSecret(ns: string, account: { keyId: string; secretKey: string }) {
  return secret(ns, 'alpaca-credentials', {
    APCA_API_KEY_ID: account.keyId,
    APCA_API_SECRET_KEY: account.secretKey,
  });
}

/**
 * An AlpacaForwarder on the simulator's IEX feed and the local broker's PLAINTEXT listener, no
 * REST backfill (the tests push exactly what they expect), with `spec` merged over it.
 */
export function forwarder(e: E2eStack, ns: string, name: string, symbols: string[], spec: object = {}) {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name, namespace: ns },
    spec: {
      feed: 'iex',
      symbols,
      streamUrl: e.stack.alpaca.streamUrl,
      dataUrl: e.stack.alpaca.dataUrl,
      credentialsSecretRef: { name: 'alpaca-credentials' },
      backfill: { bars: { enabled: false }, gapFill: { enabled: false } },
      kafka: { bootstrapServers: e.stack.kafka.info.brokers('PLAINTEXT'), securityProtocol: 'PLAINTEXT' },
      ...spec,
    },
  };
}
