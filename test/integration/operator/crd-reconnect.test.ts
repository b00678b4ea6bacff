/**
 * spec.reconnect's 406 back-off on the real kube-apiserver: `after406Ms` (the family's unit) or
 * its deprecated spelling `after406Seconds` (ignored when after406Ms is set); neither is
 * defaulted (the operator's default is 90 000 ms), and the cross-field rule holds
 * restartPolicy.on406.stuckAfterSeconds above the back-off that counts.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { ApiException, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { controlPlaneFromEnv } from '../../infra/kube/index.ts';
import { createTestNamespace } from '../../infra/kube/k8s-helpers.ts';
import { installCrd } from './harness.ts';
import { applyForwarder, forwarderSpec } from './resources.ts';

const plane = controlPlaneFromEnv();

describe('CRD: spec.reconnect.after406Ms and its deprecated spelling', () => {
  let kc: KubeConfig;
  let ns: string;
  before(async () => {
    kc = plane.kubeConfig();
    await installCrd(plane.kubeconfigPath, kc);
    ns = await createTestNamespace(kc, 'crd-reconnect');
  });

  async function storedReconnect(name: string): Promise<Record<string, unknown>> {
    const api = kc.makeApiClient(CustomObjectsApi);
    const obj = (await api.getNamespacedCustomObject({
      group: 'torghut.io',
      version: 'v1alpha1',
      namespace: ns,
      plural: 'alpacaforwarders',
      name,
    })) as { spec: { reconnect: Record<string, unknown> } };
    return obj.spec.reconnect;
  }

  async function refused(name: string, extra: Record<string, unknown>, message: RegExp): Promise<void> {
    await assert.rejects(applyForwarder(kc, ns, name, forwarderSpec('creds', extra)), (err: unknown) => {
      assert.ok(err instanceof ApiException, String(err));
      assert.equal(err.code, 422);
      const body = typeof err.body === 'string' ? err.body : JSON.stringify(err.body);
      assert.match(body, message);
      return true;
    });
  }

  test('neither spelling set: stored without a 406 back-off (the operator defaults it), base and max defaulted', async () => {
    await applyForwarder(kc, ns, 'plain', forwarderSpec('creds'));
    const reconnect = await storedReconnect('plain');
    assert.deepEqual(reconnect, { baseMs: 500, maxMs: 30000 });
  });

  test('after406Ms alone and after406Seconds alone are both accepted as written', async () => {
    await applyForwarder(kc, ns, 'in-ms', forwarderSpec('creds', { reconnect: { after406Ms: 120000 } }));
    assert.equal((await storedReconnect('in-ms')).after406Ms, 120000);
    await applyForwarder(
      kc,
      ns,
      'in-seconds',
      forwarderSpec('creds', { reconnect: { after406Seconds: 120 } }),
    );
    const old = await storedReconnect('in-seconds');
    assert.equal(old.after406Seconds, 120);
    assert.equal(old.after406Ms, undefined);
  });

  test('both spellings (an object stored with the old default, then given after406Ms): accepted, after406Ms counts', async () => {
    const both = { reconnect: { after406Ms: 95000, after406Seconds: 90 } };
    await applyForwarder(kc, ns, 'both', forwarderSpec('creds', both));
    assert.deepEqual(await storedReconnect('both'), {
      baseMs: 500,
      maxMs: 30000,
      after406Ms: 95000,
      after406Seconds: 90,
    });
    // The cross-field rule reads after406Ms: 100 s passes (> 95 s); 94 s would pass against the
    // ignored 90 s but is refused against after406Ms' 95 s.
    const stuck = (s: number) => ({ ...both, restartPolicy: { on406: { stuckAfterSeconds: s } } });
    await applyForwarder(kc, ns, 'both', forwarderSpec('creds', stuck(100)));
    await refused('both', stuck(94), /stuckAfterSeconds must be greater than spec\.reconnect\.after406Ms/);
  });

  test('after406Ms below Alpaca 90 s window: 422 naming the field', async () => {
    await refused('short', { reconnect: { after406Ms: 60000 } }, /after406Ms/);
  });

  test('stuckAfterSeconds not above the back-off, in either spelling: 422 with the cross-field message', async () => {
    const stuck = { restartPolicy: { on406: { stuckAfterSeconds: 150 } } };
    const message = /stuckAfterSeconds must be greater than spec\.reconnect\.after406Ms/;
    await refused('cross-ms', { ...stuck, reconnect: { after406Ms: 150000 } }, message);
    await refused('cross-seconds', { ...stuck, reconnect: { after406Seconds: 200 } }, message);
    await applyForwarder(
      kc,
      ns,
      'cross-ok',
      forwarderSpec('creds', { ...stuck, reconnect: { after406Ms: 149000 } }),
    );
    assert.equal((await storedReconnect('cross-ok')).after406Ms, 149000);
  });
});
