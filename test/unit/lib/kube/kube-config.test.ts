/**
 * The Kubernetes client config of both programs (lib/kube/kube-config.ts): each kubeconfig
 * form it reads, each form it refuses (the error names the field), loadFromDefault()'s order, and
 * the in-cluster service account with a token that rotates.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { stringify } from 'yaml';
import {
  inClusterKubeConfig,
  KubeConfigError,
  kubeConfigFromFile,
  loadDefaultKubeConfig,
  TOKEN_REFRESH_MS,
} from '../../../../lib/kube/kube-config.ts';

const root = mkdtempSync(join(tmpdir(), 'kube-config-test-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
function dir(): string {
  const d = join(root, String(n++));
  mkdirSync(d);
  return d;
}

const CA = '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n';
const CERT = '-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n';
const b64 = (s: string) => Buffer.from(s).toString('base64');

function kubeconfig(
  d: string,
  cluster: Record<string, unknown>,
  user: Record<string, unknown> | null,
  extra: Record<string, unknown> = {},
): string {
  const file = join(d, 'config');
  writeFileSync(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'other', cluster: { server: 'https://wrong.example:1' } },
        { name: 'c', cluster },
      ],
      users: user ? [{ name: 'u', user }] : [],
      contexts: [
        { name: 'ctx', context: { cluster: 'c', ...(user ? { user: 'u' } : {}), namespace: 'trading' } },
      ],
      'current-context': 'ctx',
      preferences: {},
      ...extra,
    }),
  );
  return file;
}

function refused(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof KubeConfigError, String(err));
    assert.match(err.message, pattern);
    return true;
  });
}

test('client-certificate / client-key / certificate-authority files, relative to the kubeconfig', () => {
  const d = dir();
  mkdirSync(join(d, 'pki'));
  writeFileSync(join(d, 'pki', 'ca.crt'), CA);
  writeFileSync(join(d, 'pki', 'admin.crt'), CERT);
  writeFileSync(join(d, 'admin.key'), KEY);
  const file = kubeconfig(
    d,
    { server: 'https://127.0.0.1:6443/', 'certificate-authority': 'pki/ca.crt' },
    { 'client-certificate': join(d, 'pki', 'admin.crt'), 'client-key': 'admin.key' },
  );
  const c = kubeConfigFromFile(file);
  assert.equal(c.server, 'https://127.0.0.1:6443');
  assert.equal(c.ca?.toString(), CA);
  assert.equal(c.cert?.toString(), CERT);
  assert.equal(c.key?.toString(), KEY);
  assert.equal(c.token, undefined);
  assert.equal(c.source, file);
});

test('inline -data forms and a token; the server path prefix is kept', () => {
  const file = kubeconfig(
    dir(),
    {
      server: 'https://k8s.example:443/k8s/clusters/c-1',
      'certificate-authority-data': b64(CA),
      extensions: [],
    },
    { 'client-certificate-data': b64(CERT), 'client-key-data': b64(KEY), token: 'tok-inline' },
  );
  const c = kubeConfigFromFile(file);
  assert.equal(c.server, 'https://k8s.example:443/k8s/clusters/c-1');
  assert.deepEqual(
    [c.ca?.toString(), c.cert?.toString(), c.key?.toString(), c.token?.()],
    [CA, CERT, KEY, 'tok-inline'],
  );
});

test('tokenFile is re-read once the refresh interval has passed; a failed re-read keeps the last token', () => {
  const d = dir();
  writeFileSync(join(d, 'token'), 'first\n');
  let now = 1_000;
  const c = kubeConfigFromFile(kubeconfig(d, { server: 'https://h:1' }, { tokenFile: 'token' }), {
    now: () => now,
  });
  assert.equal(c.token?.(), 'first');
  writeFileSync(join(d, 'token'), 'second');
  now += TOKEN_REFRESH_MS - 1;
  assert.equal(c.token?.(), 'first', 'not re-read before the interval');
  now += 1;
  assert.equal(c.token?.(), 'second');
  rmSync(join(d, 'token'));
  now += TOKEN_REFRESH_MS;
  assert.equal(c.token?.(), 'second');
});

test('a context without a user: no client certificate, no token (the system CAs when none given)', () => {
  const c = kubeConfigFromFile(kubeconfig(dir(), { server: 'https://h:1' }, null));
  assert.deepEqual(c, { server: 'https://h:1', source: c.source });
});

test("client-node's exportConfig() form: insecure-skip-tls-verify false and the context's own name are accepted", () => {
  const d = dir();
  const file = join(d, 'exported.json');
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server: 'https://h:1', 'insecure-skip-tls-verify': false } }],
      users: [{ name: 'u', user: { token: 't' } }],
      contexts: [{ name: 'x', context: { name: 'x', cluster: 'c', user: 'u' } }],
      preferences: {},
      'current-context': 'x',
    }),
  );
  const c = kubeConfigFromFile(file);
  assert.equal(c.server, 'https://h:1');
  assert.equal(c.token?.(), 't');
});

test('refused forms name the field', () => {
  const cases: [Record<string, unknown>, Record<string, unknown> | null, RegExp][] = [
    [{ server: 'https://h:1' }, { exec: { command: 'aws' } }, /users\[u\]\.user\.exec is not supported/],
    [
      { server: 'https://h:1' },
      { 'auth-provider': { name: 'gcp' } },
      /users\[u\]\.user\.auth-provider is not supported/,
    ],
    [
      { server: 'https://h:1' },
      { username: 'a', password: 'b' },
      /users\[u\]\.user\.(username|password) is not supported/,
    ],
    [{ server: 'https://h:1' }, { as: 'someone' }, /users\[u\]\.user\.as is not supported/],
    [
      { server: 'https://h:1', 'insecure-skip-tls-verify': true },
      null,
      /clusters\[c\]\.cluster\.insecure-skip-tls-verify is not supported/,
    ],
    [
      { server: 'https://h:1', 'proxy-url': 'http://p:3128' },
      null,
      /clusters\[c\]\.cluster\.proxy-url is not supported/,
    ],
    [{ server: 'http://h:8080' }, null, /clusters\[c\]\.cluster\.server: only https:\/\/ is supported/],
    [{ server: 'not a url' }, null, /clusters\[c\]\.cluster\.server is not a URL/],
    [{}, null, /clusters\[c\]\.cluster\.server is not set/],
    [
      { server: 'https://h:1' },
      { 'client-certificate-data': b64(CERT) },
      /client-certificate without client-key/,
    ],
    [{ server: 'https://h:1' }, { 'client-key-data': b64(KEY) }, /client-key without client-certificate/],
    [
      { server: 'https://h:1', 'certificate-authority': '/ca', 'certificate-authority-data': b64(CA) },
      null,
      /both certificate-authority and certificate-authority-data are set/,
    ],
    [
      { server: 'https://h:1', 'certificate-authority': 'missing.crt' },
      null,
      /certificate-authority: cannot read .*missing\.crt \(ENOENT\)/,
    ],
    [
      { server: 'https://h:1' },
      { tokenFile: 'missing-token' },
      /tokenFile: cannot read .*missing-token \(ENOENT\)/,
    ],
  ];
  for (const [cluster, user, pattern] of cases) {
    const file = kubeconfig(dir(), cluster, user);
    refused(() => kubeConfigFromFile(file), pattern);
  }
});

test('refused documents: no current-context, a missing entry, not YAML, unreadable, a token never leaks', () => {
  const d = dir();
  refused(
    () => kubeConfigFromFile(kubeconfig(d, { server: 'https://h:1' }, null, { 'current-context': '' })),
    /current-context is not set/,
  );
  refused(
    () => kubeConfigFromFile(kubeconfig(d, { server: 'https://h:1' }, null, { 'current-context': 'nope' })),
    /contexts has no entry named nope/,
  );
  refused(
    () => kubeConfigFromFile(kubeconfig(d, { server: 'https://h:1' }, null, { clusters: [] })),
    /clusters has no entry named c/,
  );
  const bad = join(d, 'bad');
  writeFileSync(bad, 'clusters: [\n');
  refused(() => kubeConfigFromFile(bad), /kubeconfig .*bad: not YAML/);
  refused(() => kubeConfigFromFile(join(d, 'absent')), /kubeconfig .*absent: cannot read \(ENOENT\)/);
  const secret = 'sekrit-token-value';
  const withExec = kubeconfig(d, { server: 'https://h:1' }, { token: secret, exec: { command: 'x' } });
  assert.throws(
    () => kubeConfigFromFile(withExec),
    (err: Error) => !err.message.includes(secret),
  );
});

test("loadFromDefault's order: $KUBECONFIG, then ~/.kube/config, then in-cluster; none is an error", () => {
  const home = dir();
  mkdirSync(join(home, '.kube'));
  const inHome = kubeconfig(join(home, '.kube'), { server: 'https://home:1' }, null);
  assert.equal(inHome, join(home, '.kube', 'config'));
  const explicit = kubeconfig(dir(), { server: 'https://explicit:1' }, null);
  const sa = dir();
  writeFileSync(join(sa, 'ca.crt'), CA);
  writeFileSync(join(sa, 'token'), 'sa-token');
  const pod = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };

  const load = (env: NodeJS.ProcessEnv, h: string) =>
    loadDefaultKubeConfig({ env, home: h, serviceAccountDir: sa });
  assert.equal(load({ KUBECONFIG: explicit, ...pod }, home).server, 'https://explicit:1');
  assert.equal(load({ ...pod }, home).server, 'https://home:1');
  const emptyHome = dir();
  assert.equal(load({ ...pod }, emptyHome).server, 'https://10.96.0.1:443');
  refused(() => load({}, emptyHome), /no Kubernetes client config/);
  refused(
    () => load({ KUBECONFIG: `${explicit}:${inHome}` }, home),
    /KUBECONFIG lists 2 files; only one is read/,
  );
});

test('in-cluster: service host and port, ca.crt, a token re-read as it rotates', () => {
  const sa = dir();
  writeFileSync(join(sa, 'ca.crt'), CA);
  writeFileSync(join(sa, 'token'), 'projected-1\n');
  let now = 0;
  const c = inClusterKubeConfig({
    env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' },
    dir: sa,
    now: () => now,
  });
  assert.equal(c.server, 'https://10.96.0.1:443');
  assert.equal(c.source, 'in-cluster');
  assert.equal(c.ca?.toString(), CA);
  assert.equal(c.token?.(), 'projected-1');
  writeFileSync(join(sa, 'token'), 'projected-2\n');
  now += TOKEN_REFRESH_MS;
  assert.equal(c.token?.(), 'projected-2');

  const v6 = inClusterKubeConfig({
    env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' },
    dir: sa,
  });
  assert.equal(v6.server, 'https://[fd00::1]:443');
});

test('in-cluster refusals: no port, no ca.crt, no or an empty token', () => {
  const env = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
  refused(
    () => inClusterKubeConfig({ env: { KUBERNETES_SERVICE_HOST: '10.96.0.1' }, dir: dir() }),
    /KUBERNETES_SERVICE_PORT is unset/,
  );
  const noCa = dir();
  writeFileSync(join(noCa, 'token'), 't');
  refused(
    () => inClusterKubeConfig({ env, dir: noCa }),
    /service account ca\.crt: cannot read .* \(ENOENT\)/,
  );
  const noToken = dir();
  writeFileSync(join(noToken, 'ca.crt'), CA);
  refused(
    () => inClusterKubeConfig({ env, dir: noToken }),
    /service account token: cannot read .* \(ENOENT\)/,
  );
  writeFileSync(join(noToken, 'token'), '\n');
  refused(() => inClusterKubeConfig({ env, dir: noToken }), /service account token .* is empty/);
});
