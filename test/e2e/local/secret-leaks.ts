/**
 * The "no secret anywhere" check of every e2e test: no Secret value (plain or base64) in any
 * ConfigMap, AlpacaForwarder status or Event in the cluster, nor in the operator's and the
 * forwarders' captured logs.
 */
import assert from 'node:assert/strict';
import { CoreV1Api, EventsV1Api, type KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { API_VERSION, KIND } from '../../../operator/api/types.ts';
import type { LogCapture } from './log-capture.ts';

export async function assertNoSecretLeaks(
  kc: KubeConfig,
  logs: LogCapture,
  secretValues: readonly string[],
): Promise<void> {
  assert.ok(secretValues.length > 0, 'the test knows the Secret values to look for');
  const core = kc.makeApiClient(CoreV1Api);
  const [configMaps, forwarders, events, coreEvents] = await Promise.all([
    core.listConfigMapForAllNamespaces(),
    KubernetesObjectApi.makeApiClient(kc).list(API_VERSION, KIND),
    kc.makeApiClient(EventsV1Api).listEventForAllNamespaces(),
    core.listEventForAllNamespaces(),
  ]);
  assert.ok(logs.operatorLines.length > 0, 'operator log lines were captured');
  assert.ok(logs.forwarderLines.size > 0, 'forwarder log lines were captured');
  const haystacks: Array<[string, string]> = [
    ['ConfigMaps', JSON.stringify(configMaps.items)],
    [
      'AlpacaForwarder statuses',
      JSON.stringify(forwarders.items.map((i) => (i as { status?: unknown }).status ?? null)),
    ],
    ['Events', JSON.stringify(events.items)],
    ['core/v1 Events', JSON.stringify(coreEvents.items)],
    ...logs.texts(),
  ];
  for (const [where, text] of haystacks) {
    for (const value of secretValues) {
      assert.equal(text.includes(value), false, `a Secret value leaked into ${where}`);
      assert.equal(
        text.includes(Buffer.from(value).toString('base64')),
        false,
        `a base64-encoded Secret value leaked into ${where}`,
      );
    }
  }
}
