/**
 * The real API server enforces a CRD's structural schema and its CEL x-kubernetes-validations rule
 * (the operator's CRD relies on both), and accepts a valid resource applied with kubectl.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  ApiException,
  CoreV1Api,
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
} from '@kubernetes/client-node';
import {
  applyFile,
  controlPlaneFromEnv,
  createTestNamespace,
  kubectl,
  waitForCrdEstablished,
} from '../../infra/kube/index.ts';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const plane = controlPlaneFromEnv();
let kc: KubeConfig;
let namespace: string;

function widget(name: string, spec: Record<string, unknown>): KubernetesObject & { spec: unknown } {
  return { apiVersion: 'kubetest.example.com/v1', kind: 'Widget', metadata: { name, namespace }, spec };
}

async function rejection(obj: KubernetesObject): Promise<{ code: number; message: string }> {
  try {
    await KubernetesObjectApi.makeApiClient(kc).create(obj);
  } catch (err) {
    assert.ok(err instanceof ApiException, `expected an ApiException, got ${String(err)}`);
    const body = typeof err.body === 'string' ? JSON.parse(err.body) : err.body;
    return { code: err.code, message: String(body?.message ?? '') };
  }
  assert.fail(`the API server accepted ${obj.metadata?.name}`);
}

before(async () => {
  kc = plane.kubeConfig();
  await applyFile(plane.kubeconfigPath, path.join(fixtures, 'widgets-crd.yaml'));
  await waitForCrdEstablished(kc, 'widgets.kubetest.example.com');
  namespace = await createTestNamespace(kc, 'crd');
});

after(async () => {
  await kc.makeApiClient(CoreV1Api).deleteNamespace({ name: namespace });
});

test('a valid Widget applied with kubectl (server-side) is stored', async () => {
  await applyFile(plane.kubeconfigPath, path.join(fixtures, 'widget-valid.yaml'), namespace);
  const out = await kubectl(plane.kubeconfigPath, [
    'get',
    'widget',
    'valid-widget',
    `--namespace=${namespace}`,
    '-o',
    'json',
  ]);
  const stored = JSON.parse(out) as { spec: { minReplicas: number; maxReplicas: number; colour: string } };
  assert.deepEqual(stored.spec, { minReplicas: 1, maxReplicas: 3, colour: 'green' });
});

test('a Widget violating the schema is rejected with the field and the bound', async () => {
  const { code, message } = await rejection(widget('too-many', { minReplicas: 1, maxReplicas: 11 }));
  assert.equal(code, 422);
  assert.match(message, /spec\.maxReplicas/);
  assert.match(message, /less than or equal to 10/);
});

test('a Widget with a value outside the enum is rejected naming the allowed values', async () => {
  const { code, message } = await rejection(
    widget('bad-colour', { minReplicas: 1, maxReplicas: 2, colour: 'pink' }),
  );
  assert.equal(code, 422);
  assert.match(message, /spec\.colour/);
  assert.match(message, /"red", "green", "blue"/);
});

test('a Widget violating the CEL rule is rejected with the rule message', async () => {
  const { code, message } = await rejection(widget('inverted', { minReplicas: 5, maxReplicas: 2 }));
  assert.equal(code, 422);
  assert.match(message, /minReplicas must not exceed maxReplicas/);
});
