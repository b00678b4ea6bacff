/** /version of the shared control plane reports the real release, through client-node and kubectl. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VersionApi } from '@kubernetes/client-node';
import { controlPlaneFromEnv, KUBE_VERSION, kubectl } from '../../infra/kube/index.ts';

const plane = controlPlaneFromEnv();

test('/version reports the Kubernetes release the binaries were built from', async () => {
  const info = await plane.kubeConfig().makeApiClient(VersionApi).getCode();
  assert.equal(info.gitVersion, `v${KUBE_VERSION}`);
  assert.equal(info.major, '1');
  assert.equal(info.minor, KUBE_VERSION.split('.')[1]);
  assert.equal(info.gitTreeState, 'archive');
  assert.equal(plane.version, `v${KUBE_VERSION}`);
});

test('kubectl works with the written kubeconfig', async () => {
  const out = await kubectl(plane.kubeconfigPath, ['version', '--output=json']);
  const parsed = JSON.parse(out) as { serverVersion?: { gitVersion?: string } };
  assert.equal(parsed.serverVersion?.gitVersion, `v${KUBE_VERSION}`);
});
