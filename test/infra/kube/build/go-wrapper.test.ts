import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  etcdVersionFromDependencies,
  etcdWrapperGoMod,
  type GoModJson,
  kubeLdflags,
  kubeWrapperGoMod,
  stagingModules,
  toolsGo,
} from './go-wrapper.ts';

const releaseGoMod: GoModJson = {
  Module: { Path: 'k8s.io/kubernetes' },
  Go: '1.24.0',
  Replace: [
    { Old: { Path: 'k8s.io/client-go' }, New: { Path: './staging/src/k8s.io/client-go' } },
    { Old: { Path: 'k8s.io/api' }, New: { Path: './staging/src/k8s.io/api' } },
    { Old: { Path: 'k8s.io/externaljwt' }, New: { Path: './staging/src/k8s.io/externaljwt' } },
    {
      Old: { Path: 'github.com/example/pinned' },
      New: { Path: 'github.com/example/fork', Version: 'v1.2.3' },
    },
  ],
};

test('staging modules are exactly the ./staging replace targets of the release go.mod, sorted', () => {
  assert.deepEqual(stagingModules(releaseGoMod), ['k8s.io/api', 'k8s.io/client-go', 'k8s.io/externaljwt']);
});

test('a go.mod that is not k8s.io/kubernetes, or has no staging replaces, is refused', () => {
  assert.throws(
    () => stagingModules({ ...releaseGoMod, Module: { Path: 'k8s.io/api' } }),
    /k8s\.io\/kubernetes/,
  );
  assert.throws(() => stagingModules({ ...releaseGoMod, Replace: null }), /no \.\/staging replace/);
});

test('the kube wrapper requires the release and pins every staging module to v0.MINOR.PATCH', () => {
  const mod = kubeWrapperGoMod(releaseGoMod, '1.34.4');
  assert.match(mod, /^go 1\.24\.0$/m);
  assert.match(mod, /^require k8s\.io\/kubernetes v1\.34\.4$/m);
  assert.deepEqual(
    mod.split('\n').filter((l) => l.startsWith('replace ')),
    [
      'replace k8s.io/api => k8s.io/api v0.34.4',
      'replace k8s.io/client-go => k8s.io/client-go v0.34.4',
      'replace k8s.io/externaljwt => k8s.io/externaljwt v0.34.4',
    ],
  );
});

test('the etcd wrapper requires the server module at the pinned version', () => {
  assert.match(etcdWrapperGoMod('3.6.5', '1.24.0'), /^require go\.etcd\.io\/etcd\/server\/v3 v3\.6\.5$/m);
});

test('tools.go imports each command under the tools build tag', () => {
  const src = toolsGo(['k8s.io/kubernetes/cmd/kube-apiserver']);
  assert.match(src, /^\/\/go:build tools$/m);
  assert.match(src, /_ "k8s\.io\/kubernetes\/cmd\/kube-apiserver"/);
});

test('the etcd version is read from build/dependencies.yaml', () => {
  const yaml = [
    'dependencies:',
    '  - name: "protoc"',
    '    version: 23.4',
    '  - name: "etcd"',
    '    version: 3.6.5',
    '    refPaths: []',
  ].join('\n');
  assert.equal(etcdVersionFromDependencies(yaml), '3.6.5');
  assert.throws(() => etcdVersionFromDependencies('dependencies: []'), /no etcd entry/);
});

test('ldflags strip symbols and stamp the version into component-base and client-go', () => {
  const flags = kubeLdflags('1.34.4', '2026-02-10T12:53:36Z');
  assert.match(flags, /^-s -w /);
  for (const pkg of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
    assert.ok(flags.includes(`-X ${pkg}.gitVersion=v1.34.4`), pkg);
    assert.ok(flags.includes(`-X ${pkg}.gitMajor=1`), pkg);
    assert.ok(flags.includes(`-X ${pkg}.gitMinor=34`), pkg);
    assert.ok(flags.includes(`-X ${pkg}.buildDate=2026-02-10T12:53:36Z`), pkg);
  }
});
