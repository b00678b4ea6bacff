/**
 * Installs the packaging on the real control plane (kube-apiserver + etcd + kube-controller-manager)
 * the way users do, and checks what only an API server can: the CRD is accepted and established,
 * the samples pass its schema and CEL rules and get its defaults, the operator Deployment rolls out
 * a ReplicaSet, and the operator ServiceAccount holds exactly the permissions it needs (RBAC
 * evaluated by the API server through impersonation), including creating the forwarder Role.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { V1ReplicaSet } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { buildRole, buildRoleBinding } from '../../../operator/desired/rbac.ts';
import {
  controlPlaneFromEnv,
  type SharedControlPlane,
  waitFor,
  waitForCrdEstablished,
} from '../../infra/kube/index.ts';
import { kubectl as kubectlBinary } from '../../support/kustomize.ts';
import { projectRoot, type RunResult, run } from '../../support/tools.ts';

const OPERATOR_NS = 'alpaca-forwarder-system';
const SAMPLES_NS = 'torghut';
const OPERATOR_SA = `system:serviceaccount:${OPERATOR_NS}:alpaca-forwarder-operator`;
const FIELD_MANAGER = 'packaging-test';

describe('config/ applied to a real API server', () => {
  let plane: SharedControlPlane;
  const k = (args: readonly string[], input?: string): Promise<RunResult> =>
    run(
      kubectlBinary(),
      [`--kubeconfig=${plane.kubeconfigPath}`, ...args],
      input === undefined ? {} : { input },
    );
  const ok = async (args: readonly string[], input?: string): Promise<string> => {
    const r = await k(args, input);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  /** `resource` may name a subresource as `plural.group/sub`. */
  const canI = async (verb: string, resource: string, namespace = SAMPLES_NS): Promise<boolean> => {
    const [plural = '', sub] = resource.split('/');
    const subresource = sub === undefined ? [] : [`--subresource=${sub}`];
    const r = await k([
      'auth',
      'can-i',
      `--as=${OPERATOR_SA}`,
      '-n',
      namespace,
      ...subresource,
      verb,
      plural,
    ]);
    assert.ok(
      r.stdout.trim() === 'yes' || r.stdout.trim() === 'no',
      `can-i ${verb} ${resource}: ${r.stderr}`,
    );
    return r.stdout.trim() === 'yes';
  };

  before(async () => {
    plane = controlPlaneFromEnv();
    // Other test files may have applied the CRD under another field manager: take it over.
    await ok([
      'apply',
      '--server-side',
      '--force-conflicts',
      `--field-manager=${FIELD_MANAGER}`,
      '-k',
      path.join(projectRoot, 'config/default'),
    ]);
    await waitForCrdEstablished(plane.kubeConfig(), 'alpacaforwarders.torghut.io', { timeoutMs: 120_000 });
    await ok([
      'apply',
      '--server-side',
      `--field-manager=${FIELD_MANAGER}`,
      '-k',
      path.join(projectRoot, 'config/samples'),
    ]);
  });

  after(async () => {
    // Leave nothing an operator started by another test file could pick up.
    if (plane) await k(['delete', 'namespace', SAMPLES_NS, '--wait=false']);
  });

  test('the samples are accepted by the CRD schema and CEL rules and get its defaults', async () => {
    const list = JSON.parse(await ok(['get', 'alpacaforwarders', '-n', SAMPLES_NS, '-o', 'json'])) as {
      items: { metadata: { name: string }; spec: Record<string, unknown> }[];
    };
    assert.deepEqual(list.items.map((i) => i.metadata.name).sort(), ['fakepaca', 'iex-equities']);
    const fakepaca = list.items.find((i) => i.metadata.name === 'fakepaca');
    const kafka = fakepaca?.spec.kafka as {
      topics: Record<string, string>;
      producer: Record<string, unknown>;
    };
    assert.equal(kafka.topics.quotes, 'torghut.quotes.v1');
    assert.equal(kafka.producer.compression, 'lz4');
    assert.deepEqual(fakepaca?.spec.credentialsSecretRef, {
      name: 'alpaca-credentials',
      keyIdKey: 'APCA_API_KEY_ID',
      secretKeyKey: 'APCA_API_SECRET_KEY',
    });
  });

  test('the operator Deployment rolls out a ReplicaSet of 2 restricted pods', async () => {
    const rs = await waitFor<V1ReplicaSet, V1ReplicaSet>(
      plane.kubeConfig(),
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        plural: 'replicasets',
        namespace: OPERATOR_NS,
        labelSelector: 'app.kubernetes.io/name=alpaca-forwarder-operator',
      },
      (items) => items.find((i) => i.spec?.replicas === 2),
      { timeoutMs: 120_000, what: 'the operator ReplicaSet' },
    );
    const pod = rs.spec?.template?.spec;
    assert.equal(pod?.serviceAccountName, 'alpaca-forwarder-operator');
    assert.equal(pod?.containers[0]?.securityContext?.readOnlyRootFilesystem, true);
  });

  test('the operator ServiceAccount may do what the operator does, in any namespace', async () => {
    const allowed: [string, string][] = [
      ['watch', 'alpacaforwarders.torghut.io'],
      ['patch', 'alpacaforwarders.torghut.io/status'],
      ['update', 'alpacaforwarders.torghut.io/finalizers'],
      ['patch', 'deployments.apps'],
      ['create', 'deployments.apps'],
      ['list', 'configmaps'],
      ['patch', 'services'],
      ['patch', 'serviceaccounts'],
      ['patch', 'networkpolicies.networking.k8s.io'],
      ['delete', 'networkpolicies.networking.k8s.io'],
      ['patch', 'roles.rbac.authorization.k8s.io'],
      ['patch', 'rolebindings.rbac.authorization.k8s.io'],
      ['watch', 'pods'],
      ['get', 'secrets'],
      ['create', 'events.events.k8s.io'],
      ['patch', 'events.events.k8s.io'],
    ];
    for (const [verb, resource] of allowed) assert.ok(await canI(verb, resource), `may ${verb} ${resource}`);
    assert.ok(await canI('update', 'leases.coordination.k8s.io', OPERATOR_NS), 'may renew its leader Lease');
  });

  test('the operator ServiceAccount may not write specs, delete workloads or touch Secrets', async () => {
    const denied: [string, string][] = [
      ['patch', 'alpacaforwarders.torghut.io'],
      ['update', 'alpacaforwarders.torghut.io'],
      ['create', 'alpacaforwarders.torghut.io'],
      ['delete', 'alpacaforwarders.torghut.io'],
      ['delete', 'deployments.apps'],
      ['delete', 'configmaps'],
      ['create', 'secrets'],
      ['patch', 'secrets'],
      ['delete', 'pods'],
      ['create', 'pods'],
      ['create', 'clusterroles.rbac.authorization.k8s.io'],
      ['escalate', 'roles.rbac.authorization.k8s.io'],
      ['bind', 'roles.rbac.authorization.k8s.io'],
      ['create', 'events'],
    ];
    for (const [verb, resource] of denied)
      assert.ok(!(await canI(verb, resource)), `may not ${verb} ${resource}`);
  });

  test('as the operator ServiceAccount, server-side apply creates the forwarder Role and RoleBinding', async () => {
    const af = JSON.parse(await ok(['get', 'alpacaforwarder', 'fakepaca', '-n', SAMPLES_NS, '-o', 'json']));
    const docs = [buildRole(af, { leaseName: 'alpaca-fakepaca' }), buildRoleBinding(af)]
      .map((o) => stringify(JSON.parse(JSON.stringify(o))))
      .join('---\n');
    // The API server refuses a Role granting more than its creator holds (RBAC escalation check).
    await ok(
      [
        'apply',
        '--server-side',
        `--as=${OPERATOR_SA}`,
        '--field-manager=alpacaforwarder-operator',
        '-f',
        '-',
      ],
      docs,
    );
    const role = JSON.parse(await ok(['get', 'role', 'fakepaca-forwarder', '-n', SAMPLES_NS, '-o', 'json']));
    assert.equal(role.metadata.ownerReferences[0].name, 'fakepaca');
  });
});
