/**
 * waitForCrdEstablished() on a CRD applied a moment ago, many times over, each CRD new (a distinct
 * group and name), against the real API server: the wait never errors on the not-yet-written
 * conditions (where `kubectl wait --for=condition=Established` failed with `.status.conditions
 * accessor error: <nil>`), and once it resolves the new resource is served (kubectl lists it).
 * Every other round starts waiting before the CRD exists at all, the far end of the same race
 * (no object, so no conditions), which `kubectl wait` answers with NotFound at once.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { controlPlaneFromEnv, kubectl, waitForCrdEstablished } from '../../infra/kube/index.ts';

const plane = controlPlaneFromEnv();
const ROUNDS = 25;
const group = `established-${randomBytes(3).toString('hex')}.kubetest.example.com`;
const created: string[] = [];
let dir: string;

function crd(plural: string, kind: string): string {
  return JSON.stringify({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural, singular: plural.slice(0, -1), kind },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object' } },
        },
      ],
    },
  });
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'crd-established-'));
});

after(async () => {
  for (const name of created) await kubectl(plane.kubeconfigPath, ['delete', 'crd', name, '--wait=false']);
  await rm(dir, { recursive: true, force: true });
});

test(`a CRD applied and waited for at once is Established and served (${ROUNDS} fresh CRDs)`, async () => {
  const kc = plane.kubeConfig();
  for (let i = 0; i < ROUNDS; i++) {
    const plural = `gadget${i}s`;
    const name = `${plural}.${group}`;
    const file = path.join(dir, `${plural}.json`);
    await writeFile(file, crd(plural, `Gadget${i}`));
    const early = i % 2 === 0 ? waitForCrdEstablished(kc, name) : undefined;
    await kubectl(plane.kubeconfigPath, ['apply', '--server-side', '-f', file]);
    created.push(name);
    await (early ?? waitForCrdEstablished(kc, name));
    const listed = await kubectl(plane.kubeconfigPath, ['get', `${plural}.${group}`, '-A', '-o', 'name']);
    assert.equal(listed.trim(), '', `${name} is served and lists no objects`);
  }
});
