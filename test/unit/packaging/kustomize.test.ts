import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe as suite, test } from 'node:test';
import type { V1PolicyRule } from '@kubernetes/client-node';
import { FIELD_MANAGER, STATUS_FIELD_MANAGER } from '../../../operator/api/types.ts';
import { buildRole } from '../../../operator/desired/rbac.ts';
import {
  ALPACA_FORWARDER,
  NETWORK_POLICY,
  OWNED_TYPES,
  POD,
  POD_MONITOR,
  SECRET,
} from '../../../operator/kube/resources.ts';
import { describe, find, type KubeObject, parseYamlObjects, render } from '../../support/kustomize.ts';
import { projectRoot } from '../../support/tools.ts';

const OPERATOR_NS = 'alpaca-forwarder-system';
const SAMPLES_NS = 'torghut';
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
]);
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

interface Container {
  name: string;
  image: string;
  ports?: { name: string; containerPort: number }[];
  livenessProbe?: { httpGet: { path: string; port: string } };
  readinessProbe?: { httpGet: { path: string; port: string } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown>;
  volumeMounts?: { name: string; mountPath: string }[];
}

interface PodSpec {
  serviceAccountName: string;
  securityContext: Record<string, unknown>;
  containers: Container[];
  volumes?: { name: string; emptyDir?: object }[];
}

function podSpec(deployment: KubeObject): PodSpec {
  return (deployment.spec as { template: { spec: PodSpec } }).template.spec;
}

/** Every rendered object is well-formed: apiVersion, kind, a valid name, a namespace iff namespaced. */
function assertWellFormed(objects: readonly KubeObject[], namespace: string): void {
  const seen = new Set<string>();
  for (const o of objects) {
    assert.match(o.apiVersion, /^([a-z0-9.-]+\/)?v\d+(alpha\d+|beta\d+)?$/, describe(o));
    assert.match(o.kind, /^[A-Z][A-Za-z]+$/, describe(o));
    assert.match(o.metadata.name, DNS_SUBDOMAIN, describe(o));
    if (CLUSTER_SCOPED.has(o.kind)) assert.equal(o.metadata.namespace, undefined, describe(o));
    else assert.equal(o.metadata.namespace, namespace, describe(o));
    const key = `${o.apiVersion} ${describe(o)}`;
    assert.ok(!seen.has(key), `duplicate ${key}`);
    seen.add(key);
  }
}

suite('config/ (Kustomize)', () => {
  test('config/crd renders the CRD from crds/ unchanged', async () => {
    const rendered = await render(path.join(projectRoot, 'config/crd'));
    const source = parseYamlObjects(
      await readFile(path.join(projectRoot, 'crds/alpacaforwarders.torghut.io.yaml'), 'utf8'),
    );
    assert.deepEqual(rendered, source);
  });

  test('config/default renders the namespace, CRD, RBAC and operator, all well-formed', async () => {
    const objects = await render(path.join(projectRoot, 'config/default'));
    assertWellFormed(objects, OPERATOR_NS);
    assert.deepEqual(objects.map(describe).sort(), [
      'ClusterRole alpaca-forwarder-operator',
      'ClusterRole alpacaforwarder-editor',
      'ClusterRole alpacaforwarder-viewer',
      'ClusterRoleBinding alpaca-forwarder-operator',
      'CustomResourceDefinition alpacaforwarders.torghut.io',
      `Deployment ${OPERATOR_NS}/alpaca-forwarder-operator`,
      `Namespace ${OPERATOR_NS}`,
      `PodDisruptionBudget ${OPERATOR_NS}/alpaca-forwarder-operator`,
      `Role ${OPERATOR_NS}/alpaca-forwarder-operator-leader-election`,
      `RoleBinding ${OPERATOR_NS}/alpaca-forwarder-operator-leader-election`,
      `Service ${OPERATOR_NS}/alpaca-forwarder-operator-metrics`,
      `ServiceAccount ${OPERATOR_NS}/alpaca-forwarder-operator`,
    ]);
  });

  test('the bindings give the operator ServiceAccount its ClusterRole and leader-election Role', async () => {
    const objects = await render(path.join(projectRoot, 'config/default'));
    const subject = [{ kind: 'ServiceAccount', name: 'alpaca-forwarder-operator', namespace: OPERATOR_NS }];
    for (const [bindingKind, roleKind, name] of [
      ['ClusterRoleBinding', 'ClusterRole', 'alpaca-forwarder-operator'],
      ['RoleBinding', 'Role', 'alpaca-forwarder-operator-leader-election'],
    ] as const) {
      const binding = find(objects, bindingKind, name);
      assert.deepEqual(binding.subjects, subject);
      assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name });
      find(objects, roleKind, name);
    }
    assert.deepEqual(find(objects, 'Role', 'alpaca-forwarder-operator-leader-election').rules, [
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
    ]);
  });

  test('the operator Deployment: 2 replicas, restricted security, probes, resources, read-only root', async () => {
    const objects = await render(path.join(projectRoot, 'config/default'));
    const deployment = find(objects, 'Deployment', 'alpaca-forwarder-operator');
    assert.equal((deployment.spec as { replicas: number }).replicas, 2);
    const pod = podSpec(deployment);
    assert.equal(pod.serviceAccountName, 'alpaca-forwarder-operator');
    assert.deepEqual(pod.securityContext, {
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    assert.equal(pod.containers.length, 1);
    const [c] = pod.containers;
    assert.ok(c);
    assert.equal(c.image, 'alpaca-forwarder-operator:0.1.0');
    assert.deepEqual(c.securityContext, {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    const portNames = new Set((c.ports ?? []).map((p) => p.name));
    assert.equal(c.livenessProbe?.httpGet.path, '/healthz');
    assert.equal(c.readinessProbe?.httpGet.path, '/readyz');
    assert.ok(portNames.has(c.livenessProbe?.httpGet.port ?? ''), 'liveness probe names a container port');
    assert.ok(portNames.has(c.readinessProbe?.httpGet.port ?? ''), 'readiness probe names a container port');
    assert.ok(c.resources?.requests?.cpu && c.resources.requests.memory && c.resources.limits?.memory);
    const tmp = (c.volumeMounts ?? []).find((m) => m.mountPath === '/tmp');
    assert.ok(tmp, 'writable /tmp');
    assert.ok(
      pod.volumes?.some((v) => v.name === tmp.name && v.emptyDir !== undefined),
      '/tmp is an emptyDir',
    );
  });

  test('the metrics Service selects the operator pods and targets a declared port', async () => {
    const objects = await render(path.join(projectRoot, 'config/default'));
    const deployment = find(objects, 'Deployment', 'alpaca-forwarder-operator');
    const service = find(objects, 'Service', 'alpaca-forwarder-operator-metrics');
    const spec = service.spec as { selector: Record<string, string>; ports: { targetPort: string }[] };
    const podLabels = (deployment.spec as { template: { metadata: { labels: Record<string, string> } } })
      .template.metadata.labels;
    for (const [k, v] of Object.entries(spec.selector)) assert.equal(podLabels[k], v, k);
    const ports = podSpec(deployment).containers.flatMap((c) => c.ports ?? []);
    for (const p of spec.ports)
      assert.ok(
        ports.some((cp) => cp.name === p.targetPort),
        p.targetPort,
      );
  });

  test('the PodDisruptionBudget keeps one operator replica and never blocks a drain on an unhealthy one', async () => {
    const objects = await render(path.join(projectRoot, 'config/default'));
    const pdb = find(objects, 'PodDisruptionBudget', 'alpaca-forwarder-operator');
    const spec = pdb.spec as { minAvailable: number; unhealthyPodEvictionPolicy: string };
    assert.equal(spec.minAvailable, 1);
    assert.equal(spec.unhealthyPodEvictionPolicy, 'AlwaysAllow');
  });

  test('config/with-monitoring adds the operator PodMonitor (declared port, honorLabels) and the PrometheusRule', async () => {
    const objects = await render(path.join(projectRoot, 'config/with-monitoring'));
    assertWellFormed(objects, OPERATOR_NS);
    const deployment = find(objects, 'Deployment', 'alpaca-forwarder-operator');
    const monitor = find(objects, 'PodMonitor', 'alpaca-forwarder-operator');
    const spec = monitor.spec as {
      selector: { matchLabels: Record<string, string> };
      podMetricsEndpoints: { port: string; path: string; honorLabels: boolean }[];
    };
    const podLabels = (deployment.spec as { template: { metadata: { labels: Record<string, string> } } })
      .template.metadata.labels;
    for (const [k, v] of Object.entries(spec.selector.matchLabels)) assert.equal(podLabels[k], v, k);
    const ports = podSpec(deployment).containers.flatMap((c) => c.ports ?? []);
    for (const e of spec.podMetricsEndpoints) {
      assert.ok(
        ports.some((p) => p.name === e.port),
        e.port,
      );
      assert.equal(e.path, '/metrics');
      assert.equal(e.honorLabels, true);
    }
    assert.equal(find(objects, 'PrometheusRule', 'alpaca-forwarder').apiVersion, 'monitoring.coreos.com/v1');
    const plain = await render(path.join(projectRoot, 'config/default'));
    assert.equal(objects.length, plain.length + 2, 'config/default plus exactly two objects');
  });

  test('config/samples renders the namespace, placeholder Secrets and two AlpacaForwarders', async () => {
    const objects = await render(path.join(projectRoot, 'config/samples'));
    assertWellFormed(objects, SAMPLES_NS);
    assert.deepEqual(objects.map(describe).sort(), [
      `AlpacaForwarder ${SAMPLES_NS}/fakepaca`,
      `AlpacaForwarder ${SAMPLES_NS}/iex-equities`,
      `Namespace ${SAMPLES_NS}`,
      `Secret ${SAMPLES_NS}/alpaca-credentials`,
      `Secret ${SAMPLES_NS}/alpaca-credentials-iex`,
      `Secret ${SAMPLES_NS}/torghut-forwarder-kafka`,
    ]);
    for (const secret of objects.filter((o) => o.kind === 'Secret')) {
      const values = Object.values(secret.stringData as Record<string, string>);
      assert.ok(values.length > 0);
      for (const v of values)
        assert.match(v, /^REPLACE_WITH_[A-Z0-9_]+$/, `${describe(secret)} holds only placeholders`);
    }
  });

  test('the samples: test feed over PLAINTEXT, and SASL_SSL with every Secret they name present', async () => {
    const objects = await render(path.join(projectRoot, 'config/samples'));
    const secrets = new Map(
      objects
        .filter((o) => o.kind === 'Secret')
        .map((o) => [o.metadata.name, o.stringData as Record<string, string>]),
    );
    interface Spec {
      feed: string;
      credentialsSecretRef: { name: string; keyIdKey?: string; secretKeyKey?: string };
      kafka: { securityProtocol: string; sasl?: { secretRef: { name: string; passwordKey?: string } } };
    }
    const test = find(objects, 'AlpacaForwarder', 'fakepaca').spec as Spec;
    assert.equal(test.feed, 'test');
    assert.equal(test.kafka.securityProtocol, 'PLAINTEXT');
    const sasl = find(objects, 'AlpacaForwarder', 'iex-equities').spec as Spec;
    assert.equal(sasl.kafka.securityProtocol, 'SASL_SSL');
    for (const spec of [test, sasl]) {
      const creds = secrets.get(spec.credentialsSecretRef.name);
      assert.ok(creds, spec.credentialsSecretRef.name);
      assert.ok((spec.credentialsSecretRef.keyIdKey ?? 'APCA_API_KEY_ID') in creds);
      assert.ok((spec.credentialsSecretRef.secretKeyKey ?? 'APCA_API_SECRET_KEY') in creds);
    }
    // One Alpaca account per resource (design §4.1): distinct Secrets with distinct key ids.
    const keyIds = [test, sasl].map((spec) => secrets.get(spec.credentialsSecretRef.name)?.APCA_API_KEY_ID);
    assert.equal(new Set(keyIds).size, 2, 'the samples use different Alpaca accounts');
    const saslRef = sasl.kafka.sasl?.secretRef;
    assert.ok(saslRef);
    assert.ok((saslRef.passwordKey ?? 'password') in (secrets.get(saslRef.name) ?? {}), saslRef.name);
  });

  test('config/argocd/operator: config/default with sync waves, namespace < CRD and RBAC < operator', async () => {
    const base = await render(path.join(projectRoot, 'config/default'));
    const objects = await render(path.join(projectRoot, 'config/argocd/operator'));
    assert.deepEqual(objects.map(describe).sort(), base.map(describe).sort());
    const wave = (o: KubeObject): number => {
      const value = o.metadata.annotations?.['argocd.argoproj.io/sync-wave'];
      assert.ok(value !== undefined, `${describe(o)} has a sync wave`);
      return Number(value);
    };
    const byKind = new Map<string, Set<number>>();
    for (const o of objects) byKind.set(o.kind, (byKind.get(o.kind) ?? new Set()).add(wave(o)));
    const only = (kind: string): number => {
      const waves = [...(byKind.get(kind) ?? [])];
      assert.equal(waves.length, 1, `${kind} in one wave`);
      return waves[0] as number;
    };
    assert.ok(only('Namespace') < only('CustomResourceDefinition'));
    assert.equal(only('CustomResourceDefinition'), -1);
    for (const kind of ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']) {
      assert.equal(only(kind), -1, kind);
    }
    for (const kind of ['Deployment', 'Service', 'PodDisruptionBudget']) assert.equal(only(kind), 0, kind);
  });

  test('the Argo CD Applications sync server-side, and the operator one renders from its path', async () => {
    const apps = parseYamlObjects(
      await readFile(path.join(projectRoot, 'config/argocd/application.yaml'), 'utf8'),
    );
    assert.deepEqual(
      apps.map((a) => `${a.apiVersion} ${describe(a)}`),
      [
        'argoproj.io/v1alpha1 Application argocd/alpaca-forwarder-operator',
        'argoproj.io/v1alpha1 Application argocd/alpaca-forwarders',
      ],
    );
    interface AppSpec {
      source: { path: string };
      destination: { namespace: string };
      syncPolicy: { syncOptions: string[] };
      ignoreDifferences?: { group: string; kind: string; managedFieldsManagers?: string[] }[];
    }
    const [operatorApp, forwardersApp] = apps.map((a) => a.spec as AppSpec);
    assert.ok(operatorApp && forwardersApp);
    assert.equal(operatorApp.source.path, 'config/argocd/operator');
    assert.equal(operatorApp.destination.namespace, OPERATOR_NS);
    await render(path.join(projectRoot, operatorApp.source.path));
    for (const app of [operatorApp, forwardersApp])
      assert.ok(app.syncPolicy.syncOptions.includes('ServerSideApply=true'));
    assert.ok(forwardersApp.syncPolicy.syncOptions.includes('SkipDryRunOnMissingResource=true'));
    assert.deepEqual(
      forwardersApp.ignoreDifferences?.map((d) => `${d.group}/${d.kind}`),
      ['torghut.io/AlpacaForwarder'],
    );
  });

  test('the argocd-cm patch merges into an existing argocd-cm and keeps its other keys', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'argocd-cm-'));
    try {
      await copyFile(
        path.join(projectRoot, 'config/argocd/argocd-cm-patch.yaml'),
        path.join(dir, 'patch.yaml'),
      );
      await writeFile(
        path.join(dir, 'argocd-cm.yaml'),
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\n  namespace: argocd\ndata:\n  url: https://argocd.example\n',
      );
      await writeFile(
        path.join(dir, 'kustomization.yaml'),
        'resources:\n  - argocd-cm.yaml\npatches:\n  - path: patch.yaml\n',
      );
      const [cm, ...rest] = await render(dir);
      assert.equal(rest.length, 0);
      const data = cm?.data as Record<string, string>;
      assert.deepEqual(Object.keys(data).sort(), [
        'resource.customizations.health.torghut.io_AlpacaForwarder',
        'url',
      ]);
      assert.equal(
        data['resource.customizations.health.torghut.io_AlpacaForwarder'],
        await readFile(
          path.join(projectRoot, 'config/argocd/health/torghut.io/AlpacaForwarder/health.lua'),
          'utf8',
        ),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('the operator ClusterRole grants what operator/kube/resources.ts says the operator touches', async () => {
    const objects = await render(path.join(projectRoot, 'config/default'));
    const rules = find(objects, 'ClusterRole', 'alpaca-forwarder-operator').rules as {
      apiGroups: string[];
      resources: string[];
      verbs: string[];
    }[];
    const verbsOn = (group: string, resource: string): Set<string> =>
      new Set(
        rules
          .filter((r) => r.apiGroups.includes(group) && r.resources.includes(resource))
          .flatMap((r) => r.verbs),
      );
    const has = (group: string, resource: string, verbs: string[]): void => {
      const granted = verbsOn(group, resource);
      for (const v of verbs) assert.ok(granted.has(v), `${v} ${group || 'core'}/${resource}`);
    };
    for (const rule of rules)
      assert.ok(!rule.verbs.includes('*') && !rule.resources.includes('*'), 'no wildcards');
    has(ALPACA_FORWARDER.group, ALPACA_FORWARDER.plural, ['get', 'list', 'watch']);
    has(ALPACA_FORWARDER.group, `${ALPACA_FORWARDER.plural}/status`, ['patch']);
    assert.deepEqual([...verbsOn(ALPACA_FORWARDER.group, ALPACA_FORWARDER.plural)].sort(), [
      'get',
      'list',
      'watch',
    ]);
    for (const rt of OWNED_TYPES) has(rt.group, rt.plural, ['get', 'list', 'watch', 'patch']);
    has(SECRET.group, SECRET.plural, ['get', 'list', 'watch']);
    assert.deepEqual(
      [...verbsOn(SECRET.group, SECRET.plural)].sort(),
      ['get', 'list', 'watch'],
      'Secrets: read only',
    );
    has(POD.group, POD.plural, ['get', 'list', 'watch']);
    has(NETWORK_POLICY.group, NETWORK_POLICY.plural, ['delete']);
    has(POD_MONITOR.group, POD_MONITOR.plural, ['get', 'create', 'patch']);
    has('events.k8s.io', 'events', ['create', 'patch']);
  });

  test('the operator holds every permission of the forwarder Role it creates (RBAC escalation check)', async () => {
    const objects = await render(path.join(projectRoot, 'config/default'));
    const granted = find(objects, 'ClusterRole', 'alpaca-forwarder-operator').rules as V1PolicyRule[];
    const af = {
      apiVersion: 'torghut.io/v1alpha1',
      kind: 'AlpacaForwarder',
      metadata: { name: 'x', namespace: 'y', uid: 'u', generation: 1 },
      spec: {},
    } as unknown as Parameters<typeof buildRole>[0];
    for (const leaseName of ['alpaca-lease', undefined]) {
      for (const rule of buildRole(af, { leaseName }).rules ?? []) {
        for (const group of rule.apiGroups ?? []) {
          for (const resource of rule.resources ?? []) {
            for (const verb of rule.verbs) {
              const ok = granted.some(
                (g) =>
                  g.apiGroups?.includes(group) &&
                  g.resources?.includes(resource) &&
                  g.verbs.includes(verb) &&
                  g.resourceNames === undefined,
              );
              assert.ok(ok, `${verb} ${group}/${resource}`);
            }
          }
        }
      }
    }
  });

  test('Argo CD ignores exactly the fields the operator field managers own on AlpacaForwarders', async () => {
    const apps = parseYamlObjects(
      await readFile(path.join(projectRoot, 'config/argocd/application.yaml'), 'utf8'),
    );
    const managers = apps.flatMap(
      (a) =>
        (a.spec as { ignoreDifferences?: { managedFieldsManagers?: string[] }[] }).ignoreDifferences ?? [],
    );
    assert.deepEqual(
      managers.flatMap((d) => d.managedFieldsManagers ?? []),
      [FIELD_MANAGER, STATUS_FIELD_MANAGER],
    );
  });
});
