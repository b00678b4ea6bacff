/**
 * `kubectl apply -f config/samples/` (plain client-side apply of the directory, as the README
 * offers beside `-k`) works on a fresh control plane once the CRD is installed: the namespace is
 * created before the objects in it, the Kustomization file is skipped, and both samples are stored
 * with the CRD's defaults. A private control plane, so the fixed sample namespace meets nothing.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  type ControlPlane,
  kubectl,
  startPrivateControlPlane,
  waitForCrdEstablished,
} from '../../infra/kube/index.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
let plane: ControlPlane;

before(async () => {
  plane = await startPrivateControlPlane();
  await kubectl(plane.kubeconfigPath, [
    'apply',
    '--server-side',
    '-f',
    path.join(ROOT, 'crds/alpacaforwarders.torghut.io.yaml'),
  ]);
  await waitForCrdEstablished(plane.kubeConfig(), 'alpacaforwarders.torghut.io');
});

after(async () => {
  await plane?.stop();
});

test('kubectl apply -f config/samples/ creates the namespace, the Secrets and both samples', async () => {
  const out = await kubectl(plane.kubeconfigPath, ['apply', '-f', `${path.join(ROOT, 'config/samples')}/`]);
  assert.match(out, /namespace\/torghut created/);
  const names = await kubectl(plane.kubeconfigPath, [
    'get',
    'alpacaforwarders,secrets',
    '-n',
    'torghut',
    '-o',
    'jsonpath={range .items[*]}{.kind}/{.metadata.name}{"\\n"}{end}',
  ]);
  assert.deepEqual(names.trim().split('\n').sort(), [
    'AlpacaForwarder/fakepaca',
    'AlpacaForwarder/iex-equities',
    'Secret/alpaca-credentials',
    'Secret/alpaca-credentials-iex',
    'Secret/torghut-forwarder-kafka',
  ]);
  const encoding = await kubectl(plane.kubeconfigPath, [
    'get',
    'af',
    'fakepaca',
    '-n',
    'torghut',
    '-o',
    'jsonpath={.spec.encoding}',
  ]);
  assert.equal(encoding, 'msgpack', 'stored with the CRD defaults');
});
