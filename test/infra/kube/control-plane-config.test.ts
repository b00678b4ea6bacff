import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { apiServerArgs, CONTROLLERS, controllerManagerArgs, etcdArgs } from './component-args.ts';
import { startPrivateControlPlane } from './control-plane.ts';
import { controlPlaneFromEnv } from './from-env.ts';
import { renderKubeconfig } from './kubeconfig.ts';
import type { Pki } from './pki.ts';
import { leafExtensions } from './pki.ts';
import { runCommand } from './run-command.ts';
import { stagingVersion } from './versions.ts';

const pki: Pki = {
  caCert: '/p/ca.crt',
  caKey: '/p/ca.key',
  servingCert: '/p/apiserver.crt',
  servingKey: '/p/apiserver.key',
  adminCert: '/p/admin.crt',
  adminKey: '/p/admin.key',
  serviceAccountKey: '/p/sa.key',
  serviceAccountPub: '/p/sa.pub',
};

test('etcd listens on the given loopback ports without fsync', () => {
  const args = etcdArgs('/d', { client: 2379, peer: 2380 });
  assert.ok(args.includes('--listen-client-urls=http://127.0.0.1:2379'));
  assert.ok(args.includes('--listen-peer-urls=http://127.0.0.1:2380'));
  assert.ok(args.includes('--unsafe-no-fsync=true'));
  assert.ok(args.includes('--data-dir=/d'));
});

test('kube-apiserver gets the envtest flags: RBAC, no ServiceAccount admission, SA keys, client CA', () => {
  const args = apiServerArgs({ port: 6443, etcd: 'http://127.0.0.1:2379', certDir: '/c', pki });
  for (const flag of [
    '--secure-port=6443',
    '--bind-address=127.0.0.1',
    '--etcd-servers=http://127.0.0.1:2379',
    '--authorization-mode=RBAC',
    '--disable-admission-plugins=ServiceAccount',
    '--client-ca-file=/p/ca.crt',
    '--service-account-issuer=https://127.0.0.1:6443',
    '--service-account-key-file=/p/sa.pub',
    '--service-account-signing-key-file=/p/sa.key',
  ]) {
    assert.ok(args.includes(flag), flag);
  }
});

test('the Service ClusterIP range holds far more than 1,000 Services and keeps 10.0.0.1', () => {
  const args = apiServerArgs({ port: 6443, etcd: 'http://127.0.0.1:2379', certDir: '/c', pki });
  const range = args.find((a) => a.startsWith('--service-cluster-ip-range='))?.split('=')[1] ?? '';
  const [base, bits] = range.split('/');
  assert.equal(base, '10.0.0.0', 'the kubernetes Service stays at 10.0.0.1');
  // bench/operator creates one Service per AlpacaForwarder (1,000 by default).
  assert.ok(2 ** (32 - Number(bits)) - 2 >= 10_000, `${range} holds fewer than 10,000 Services`);
});

test('kube-controller-manager runs only the needed controllers, no leader election', () => {
  const args = controllerManagerArgs({ port: 10257, kubeconfig: '/k', certDir: '/c' });
  assert.ok(args.includes(`--controllers=${CONTROLLERS.join(',')}`));
  assert.deepEqual(CONTROLLERS, [
    'deployment-controller',
    'replicaset-controller',
    'garbage-collector-controller',
    'namespace-controller',
  ]);
  assert.ok(args.includes('--leader-elect=false'));
  assert.ok(args.includes('--use-service-account-credentials=false'));
  assert.ok(args.includes('--kubeconfig=/k'));
});

test('the serving certificate is for 127.0.0.1 and localhost; the admin one is a client cert', () => {
  assert.match(
    leafExtensions('server', ['IP:127.0.0.1', 'DNS:localhost']),
    /subjectAltName = IP:127\.0\.0\.1, DNS:localhost/,
  );
  assert.match(leafExtensions('server'), /extendedKeyUsage = serverAuth/);
  assert.match(leafExtensions('client'), /extendedKeyUsage = clientAuth/);
});

test('the kubeconfig points at the server with the CA and the admin certificate', () => {
  const cfg = parse(
    renderKubeconfig({ server: 'https://127.0.0.1:6443', caFile: '/ca', certFile: '/cert', keyFile: '/key' }),
  );
  assert.equal(cfg['current-context'], 'test-control-plane');
  assert.deepEqual(cfg.clusters[0].cluster, {
    server: 'https://127.0.0.1:6443',
    'certificate-authority': '/ca',
  });
  assert.deepEqual(cfg.users[0].user, { 'client-certificate': '/cert', 'client-key': '/key' });
});

test('controlPlaneFromEnv without the variables says how to run the test', () => {
  assert.throws(() => controlPlaneFromEnv({}), /TEST_KUBECONFIG.*TEST_INFRA=kube bash scripts\/test\.sh/s);
});

test('staging modules carry v0.MINOR.PATCH of the release', () => {
  assert.equal(stagingVersion('1.34.4'), 'v0.34.4');
  assert.throws(() => stagingVersion('2.0'), /not of the form/);
});

test('starting a control plane before the binaries are built says how to build them', async () => {
  const saved = process.env.PROJECT_CACHE;
  const empty = await mkdtemp(path.join(os.tmpdir(), 'kube-empty-cache-'));
  process.env.PROJECT_CACHE = empty;
  try {
    await assert.rejects(startPrivateControlPlane(), /not in the cache .*scripts\/build-kube\.sh/s);
  } finally {
    if (saved === undefined) delete process.env.PROJECT_CACHE;
    else process.env.PROJECT_CACHE = saved;
    await rm(empty, { recursive: true, force: true });
  }
});

test('a missing tool is named with a hint', async () => {
  await assert.rejects(
    runCommand('no-such-tool-for-kube-tests', []),
    /could not run no-such-tool-for-kube-tests: .*installed and on PATH/,
  );
});
