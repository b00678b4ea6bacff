import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { planProcess, type ResolvedRefs } from '../../../infra/pod-runner/pod-process.ts';
import { withMounts } from '../../../infra/pod-runner/pod-process-handle.ts';
import {
  apiServerEndpoint,
  automountWanted,
  refreshAtMs,
  serviceAccountName,
} from '../../../infra/pod-runner/service-account.ts';

const SA_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';

function pod(
  spec: Partial<NonNullable<V1Pod['spec']>> = {},
  env: { name: string; value: string }[] = [],
): V1Pod {
  return {
    metadata: { name: 'p', namespace: 'trading', uid: 'u-1' },
    spec: {
      serviceAccountName: 'reader',
      containers: [
        {
          name: 'main',
          image: 'local/probe',
          env,
          volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
        },
      ],
      volumes: [{ name: 'tmp', emptyDir: {} }],
      ...spec,
    },
  };
}

const files = {
  token: 'header.payload.sig',
  'ca.crt': '-----BEGIN CERTIFICATE-----\n',
  namespace: 'trading',
};

function plan(p: V1Pod, refs: Partial<ResolvedRefs> = {}) {
  return planProcess({
    pod: p,
    refs: { secrets: new Map(), configMaps: new Map(), ...refs },
    podDir: '/work/pods/p1',
    commandForImage: () => ({ command: '/usr/bin/node', args: ['probe.ts'] }),
    hostPortFor: (port) => port,
    apiServer: { host: '127.0.0.1', port: '36443' },
  });
}

test('service-account files become a volume mounted at the well-known path, after /tmp', () => {
  const p = plan(pod(), { serviceAccount: files });
  const vol = p.volumes.get('kube-api-access');
  assert.deepEqual(vol, { hostDir: '/work/pods/p1/volumes/kube-api-access', kind: 'serviceAccount', files });
  assert.deepEqual(p.mounts, [
    { containerPath: '/tmp', hostPath: '/work/pods/p1/volumes/tmp' },
    { containerPath: SA_PATH, hostPath: '/work/pods/p1/volumes/kube-api-access' },
  ]);
});

test('without service-account files (automount off) nothing is mounted, the API server env is still set', () => {
  const p = plan(pod());
  assert.equal(p.volumes.has('kube-api-access'), false);
  assert.deepEqual(
    p.mounts.map((m) => m.containerPath),
    ['/tmp'],
  );
  assert.equal(p.env.KUBERNETES_SERVICE_HOST, '127.0.0.1');
  assert.equal(p.env.KUBERNETES_SERVICE_PORT, '36443');
});

test('KUBERNETES_SERVICE_* come first: the container env may use and override them', () => {
  const p = plan(
    pod({}, [
      { name: 'API', value: 'https://$(KUBERNETES_SERVICE_HOST):$(KUBERNETES_SERVICE_PORT)' },
      { name: 'KUBERNETES_SERVICE_PORT', value: '1' },
    ]),
  );
  assert.equal(p.env.API, 'https://127.0.0.1:36443');
  assert.equal(p.env.KUBERNETES_SERVICE_PORT, '1');
});

test('a container that mounts its own volume at the service-account path keeps it', () => {
  const own = pod({
    volumes: [{ name: 'own', emptyDir: {} }],
    containers: [{ name: 'main', image: 'local/probe', volumeMounts: [{ name: 'own', mountPath: SA_PATH }] }],
  });
  const p = plan(own, { serviceAccount: files });
  assert.equal(p.volumes.has('kube-api-access'), false);
  assert.deepEqual(p.mounts, [{ containerPath: SA_PATH, hostPath: '/work/pods/p1/volumes/own' }]);
});

test('automount: the pod field wins, then the ServiceAccount field, then true', () => {
  assert.equal(automountWanted(pod(), undefined), true);
  assert.equal(automountWanted(pod(), {}), true);
  assert.equal(automountWanted(pod(), { automountServiceAccountToken: false }), false);
  assert.equal(
    automountWanted(pod({ automountServiceAccountToken: true }), { automountServiceAccountToken: false }),
    true,
  );
  assert.equal(
    automountWanted(pod({ automountServiceAccountToken: false }), { automountServiceAccountToken: true }),
    false,
  );
});

test('service account name defaults to "default"', () => {
  assert.equal(serviceAccountName(pod()), 'reader');
  assert.equal(serviceAccountName(pod({ serviceAccountName: undefined })), 'default');
  assert.equal(serviceAccountName(pod({ serviceAccountName: '', serviceAccount: 'legacy' })), 'legacy');
});

test('a token is refreshed at 80 % of its lifetime', () => {
  assert.equal(refreshAtMs(1_000_000, 1_000_000 + 3_600_000), 1_000_000 + 2_880_000);
});

test('the API server endpoint and CA come from the kubeconfig cluster', () => {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      { name: 'c', server: 'https://127.0.0.1:36443', caData: Buffer.from('PEM').toString('base64') },
    ],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  assert.deepEqual(apiServerEndpoint(kc), { host: '127.0.0.1', port: '36443', caPem: 'PEM' });
});

test('mount script opens every volume before the first bind, so /tmp cannot hide later sources', () => {
  const p = plan(pod(), { serviceAccount: files });
  const [cmd, args] = withMounts(p);
  assert.equal(cmd, 'unshare');
  const script = args[args.indexOf('-c') + 1] ?? '';
  const firstBind = script.indexOf('mount --no-canonicalize --bind');
  assert.ok(script.indexOf("exec 10<'/work/pods/p1/volumes/tmp'") < firstBind);
  assert.ok(script.indexOf("exec 11<'/work/pods/p1/volumes/kube-api-access'") < firstBind);
  assert.match(
    script,
    /mount --no-canonicalize --bind \/proc\/self\/fd\/11 '\/var\/run\/secrets\/kubernetes.io\/serviceaccount'/,
  );
  assert.deepEqual(args.slice(-2), ['/usr/bin/node', 'probe.ts']);
});
