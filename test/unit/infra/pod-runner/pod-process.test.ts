import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, readlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { writeAtomicVolume } from '../../../infra/pod-runner/atomic-volume.ts';
import { PodConfigError, planProcess, type ResolvedRefs } from '../../../infra/pod-runner/pod-process.ts';

const pod: V1Pod = {
  metadata: { name: 'af-demo-abc', namespace: 'trading', uid: 'u-1', labels: { app: 'x' } },
  spec: {
    terminationGracePeriodSeconds: 45,
    containers: [
      {
        name: 'forwarder',
        image: 'ghcr.io/torghut/alpaca-forwarder:0.1.0',
        args: ['--flag'],
        ports: [{ name: 'health', containerPort: 8080 }],
        env: [
          { name: 'HEALTH_PORT', value: '8080' },
          { name: 'OTHER_PORT', value: '9999' },
          { name: 'FORWARDER_CONFIG_FILE', value: '/etc/forwarder/config.yaml' },
          { name: 'ALPACA_KEY_ID', valueFrom: { secretKeyRef: { name: 'alpaca', key: 'keyId' } } },
          { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: 'DERIVED', value: 'ns=$(POD_NAMESPACE)' },
        ],
        volumeMounts: [
          { name: 'config', mountPath: '/etc/forwarder' },
          { name: 'tmp', mountPath: '/tmp' },
        ],
        readinessProbe: { httpGet: { path: '/readyz', port: 'health' } },
      },
    ],
    volumes: [
      { name: 'config', configMap: { name: 'af-demo' } },
      { name: 'tmp', emptyDir: {} },
    ],
  },
};

const refs: ResolvedRefs = {
  secrets: new Map([['alpaca', { keyId: 'AKTEST' }]]),
  configMaps: new Map([['af-demo', { 'config.yaml': 'symbols: [AAPL]\n' }]]),
};

function plan(overrides: Partial<ResolvedRefs> = {}) {
  return planProcess({
    pod,
    refs: { ...refs, ...overrides },
    podDir: '/work/pods/p1',
    commandForImage: (image) => {
      assert.match(image, /alpaca-forwarder/);
      return { command: '/usr/bin/node', args: ['forwarder/main.ts'] };
    },
    hostPortFor: (p) => p + 30000,
  });
}

test('a pod spec becomes a local process with resolved env, remapped ports and mounts', () => {
  const p = plan();
  assert.equal(p.command, '/usr/bin/node');
  assert.deepEqual(p.args, ['forwarder/main.ts', '--flag']);
  assert.equal(p.env.HEALTH_PORT, '38080', 'a *_PORT naming a container port moves to its host port');
  assert.equal(p.env.OTHER_PORT, '9999', 'other ports are left alone');
  assert.equal(p.env.FORWARDER_CONFIG_FILE, '/etc/forwarder/config.yaml', 'paths stay as in the pod');
  assert.deepEqual(p.mounts, [
    { containerPath: '/tmp', hostPath: '/work/pods/p1/volumes/tmp' },
    { containerPath: '/etc/forwarder', hostPath: '/work/pods/p1/volumes/config' },
  ]);
  assert.equal(p.env.ALPACA_KEY_ID, 'AKTEST');
  assert.equal(p.env.POD_NAMESPACE, 'trading');
  assert.equal(p.env.DERIVED, 'ns=trading');
  assert.deepEqual(p.readiness, { path: '/readyz', port: 38080 });
  assert.equal(p.terminationGraceSeconds, 45);
  assert.deepEqual(p.volumes.get('config')?.files, { 'config.yaml': 'symbols: [AAPL]\n' });
  assert.equal(p.volumes.get('tmp')?.kind, 'emptyDir');
});

test('a missing Secret or ConfigMap is a config error naming it', () => {
  assert.throws(
    () => plan({ secrets: new Map() }),
    (err: unknown) => {
      assert.ok(err instanceof PodConfigError);
      assert.match(err.message, /secret "alpaca" key "keyId" not found/);
      return true;
    },
  );
  assert.throws(() => plan({ configMaps: new Map() }), /configmap "af-demo" not found/);
});

test('configMap volumes are swapped atomically through ..data like the kubelet does', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'atomic-volume-'));
  await writeAtomicVolume(dir, { 'config.yaml': 'a: 1\n' });
  const firstTarget = await readlink(path.join(dir, '..data'));
  assert.equal(await readFile(path.join(dir, 'config.yaml'), 'utf8'), 'a: 1\n');
  await writeAtomicVolume(dir, { 'config.yaml': 'a: 2\n' });
  const secondTarget = await readlink(path.join(dir, '..data'));
  assert.notEqual(firstTarget, secondTarget);
  assert.equal(await readFile(path.join(dir, 'config.yaml'), 'utf8'), 'a: 2\n');
  assert.equal(await readlink(path.join(dir, 'config.yaml')), path.join('..data', 'config.yaml'));
  const entries = (await readdir(dir)).sort();
  assert.deepEqual(
    entries,
    [secondTarget, '..data', 'config.yaml'].sort(),
    'the old data directory is removed',
  );
});

test('the container sees its volumes at the pod paths (private mount namespace)', async () => {
  const { execFile } = await import('node:child_process');
  const { mkdir, rmdir, writeFile } = await import('node:fs/promises');
  const { withMounts } = await import('../../../infra/pod-runner/pod-process-handle.ts');
  const host = await mkdtemp(path.join(tmpdir(), 'mount-src-'));
  await mkdir(path.join(host, 'nested'));
  await writeFile(path.join(host, 'config.json'), '{"symbols":["AAPL"]}');
  const containerPath = path.join(tmpdir(), `pod-runner-mnt-${process.pid}`);
  const [command, args] = withMounts({
    command: 'cat',
    args: [path.join(containerPath, 'config.json')],
    env: {},
    volumes: new Map(),
    mounts: [{ containerPath, hostPath: host }],
    ports: new Map(),
    terminationGraceSeconds: 1,
    hostPaths: [],
  });
  const out = await new Promise<string>((resolve, reject) =>
    execFile(command, args, (err, stdout, stderr) =>
      err ? reject(new Error(stderr || err.message)) : resolve(stdout),
    ),
  );
  await rmdir(containerPath);
  assert.equal(out, '{"symbols":["AAPL"]}');
});

test('host paths the command needs stay visible under a volume mounted over their parent', async () => {
  const { execFile } = await import('node:child_process');
  const { mkdir, rm, writeFile } = await import('node:fs/promises');
  const { withMounts } = await import('../../../infra/pod-runner/pod-process-handle.ts');
  // A "repository" under a directory that the pod mounts an emptyDir over (like a clone under /tmp).
  const parent = await mkdtemp(path.join(tmpdir(), 'pod-runner-parent-'));
  const repo = path.join(parent, 'repo');
  await mkdir(repo);
  await writeFile(path.join(repo, 'main.txt'), 'code\n');
  const emptyDir = await mkdtemp(path.join(tmpdir(), 'pod-runner-emptydir-'));
  const plan = {
    command: 'cat',
    args: [path.join(repo, 'main.txt')],
    env: {},
    volumes: new Map(),
    mounts: [{ containerPath: parent, hostPath: emptyDir }],
    ports: new Map(),
    terminationGraceSeconds: 1,
  };
  const run = (cmd: [string, string[]]) =>
    new Promise<string>((resolve, reject) =>
      execFile(cmd[0], cmd[1], (err, stdout, stderr) =>
        err ? reject(new Error(stderr || err.message)) : resolve(stdout),
      ),
    );
  await assert.rejects(run(withMounts({ ...plan, hostPaths: [] })), /No such file/);
  assert.equal(await run(withMounts({ ...plan, hostPaths: [repo] })), 'code\n');
  await rm(parent, { recursive: true, force: true });
  await rm(emptyDir, { recursive: true, force: true });
});
