/**
 * The forwarder's Lease store (forwarder/lease/kube-store.ts) against a local HTTPS server with a
 * throwaway PKI: the requests it sends (verbs, paths, JSON bodies with six-digit MicroTime, the
 * bearer token, the client certificate), one kept-alive connection, and how each answer maps to
 * the store's results and errors. The real kube-apiserver runs the same store in
 * test/integration/lease/.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { createKubeLeaseStore } from '../../../../forwarder/lease/kube-store.ts';
import type { KubeClientConfig } from '../../../../lib/kube/kube-config.ts';
import { LeaseConflictError, LeaseStoreError } from '../../../../lib/lease/store.ts';
import { generatePki, type Pki } from '../../../infra/kube/pki.ts';
import { localClientConfig } from '../../../support/kube-client-config.ts';

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  clientCn: string | undefined;
  body: string;
}

const dir = mkdtempSync(join(tmpdir(), 'kube-store-test-'));
let pki: Pki;
let server: Server;
let port: number;
let connections = 0;
const seen: Seen[] = [];
/** The next answer: status and body, or 'hang' to never answer. */
let answer: { status: number; body: string } | 'hang' = { status: 200, body: '{}' };

const LEASE = {
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name: 'l', namespace: 'ns', resourceVersion: '42' },
  spec: {
    holderIdentity: 'pod-a',
    leaseDurationSeconds: 15,
    acquireTime: '2026-01-05T15:00:00.123000Z',
    renewTime: '2026-01-05T15:00:10.456000Z',
    leaseTransitions: 3,
  },
};

before(async () => {
  pki = await generatePki(dir);
  server = createServer(
    {
      cert: readFileSync(pki.servingCert),
      key: readFileSync(pki.servingKey),
      ca: readFileSync(pki.caCert),
      requestCert: true,
      rejectUnauthorized: false,
    },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const peer = (req.socket as TLSSocket).getPeerCertificate();
        seen.push({
          method: req.method ?? '',
          url: req.url ?? '',
          authorization: req.headers.authorization,
          clientCn: peer?.subject?.CN === undefined ? undefined : String(peer.subject.CN),
          body: Buffer.concat(chunks).toString('utf8'),
        });
        if (answer === 'hang') return;
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(answer.body);
      });
    },
  );
  server.on('secureConnection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

function config(extra: Partial<KubeClientConfig> = {}): KubeClientConfig {
  return localClientConfig(port, pki, 'tok', extra);
}

const SPEC = {
  holderIdentity: 'pod-a',
  leaseDurationSeconds: 15,
  acquireTimeMs: Date.parse('2026-01-05T15:00:00.123Z'),
  renewTimeMs: Date.parse('2026-01-05T15:00:10.456Z'),
  leaseTransitions: 3,
};

test('get / create / replace: verbs, paths, JSON bodies, token and client certificate, one connection', async () => {
  seen.length = 0;
  const before = connections;
  const store = createKubeLeaseStore({
    kubeConfig: config(),
    namespace: 'ns',
    name: 'l',
    labels: { a: 'b' },
  });
  answer = { status: 200, body: JSON.stringify(LEASE) };
  const got = await store.get();
  assert.deepEqual(got, { ...SPEC, resourceVersion: '42' });
  answer = { status: 201, body: JSON.stringify(LEASE) };
  await store.create(SPEC);
  answer = { status: 200, body: JSON.stringify(LEASE) };
  await store.replace('41', { ...SPEC, holderIdentity: null });

  const base = '/apis/coordination.k8s.io/v1/namespaces/ns/leases';
  assert.deepEqual(
    seen.map((s) => [s.method, s.url, s.authorization, s.clientCn]),
    [
      ['GET', `${base}/l`, 'Bearer tok', 'test-admin'],
      ['POST', base, 'Bearer tok', 'test-admin'],
      ['PUT', `${base}/l`, 'Bearer tok', 'test-admin'],
    ],
  );
  assert.equal(seen[0]?.body, '');
  assert.deepEqual(JSON.parse(seen[1]?.body ?? ''), {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'l', namespace: 'ns', labels: { a: 'b' } },
    spec: {
      holderIdentity: 'pod-a',
      leaseDurationSeconds: 15,
      acquireTime: '2026-01-05T15:00:00.123000Z',
      renewTime: '2026-01-05T15:00:10.456000Z',
      leaseTransitions: 3,
    },
  });
  const put = JSON.parse(seen[2]?.body ?? '');
  assert.equal(put.metadata.resourceVersion, '41');
  assert.equal(put.spec.holderIdentity, '', 'released: an empty holder, as client-go writes it');
  assert.equal(connections - before, 1, 'one kept-alive connection for all three');
});

test('answers: 404 → absent, 409 → conflict, other statuses http_<code>, a non-JSON body bad_response', async () => {
  const store = createKubeLeaseStore({
    kubeConfig: config({ token: undefined }),
    namespace: 'ns',
    name: 'l',
  });
  answer = { status: 404, body: '{"kind":"Status"}' };
  assert.equal(await store.get(), undefined);
  await assert.rejects(
    store.replace('1', SPEC),
    (e: unknown) => e instanceof LeaseStoreError && e.code === 'http_404',
  );
  answer = { status: 409, body: '{"kind":"Status"}' };
  await assert.rejects(store.create(SPEC), LeaseConflictError);
  await assert.rejects(store.replace('1', SPEC), LeaseConflictError);
  for (const status of [401, 403, 422, 500, 503]) {
    answer = { status, body: '{"kind":"Status","message":"upstream text"}' };
    await assert.rejects(store.get(), (e: unknown) => {
      assert.ok(e instanceof LeaseStoreError);
      assert.equal(e.code, `http_${status}`);
      assert.ok(!e.message.includes('upstream text'), 'no upstream message');
      return true;
    });
  }
  answer = { status: 200, body: '<html>' };
  await assert.rejects(
    store.get(),
    (e: unknown) => e instanceof LeaseStoreError && e.code === 'bad_response',
  );
  assert.equal(seen.at(-1)?.authorization, undefined, 'no token configured: no Authorization header');
});

test('network failures: a closed port, an untrusted server, no answer within the request timeout', async () => {
  const closed = createKubeLeaseStore({
    kubeConfig: config({ server: 'https://127.0.0.1:9' }),
    namespace: 'ns',
    name: 'l',
  });
  await assert.rejects(closed.get(), (e: unknown) => e instanceof LeaseStoreError && e.code === 'network');

  const untrusted = createKubeLeaseStore({
    kubeConfig: config({ ca: readFileSync(pki.adminCert) }),
    namespace: 'ns',
    name: 'l',
  });
  await assert.rejects(untrusted.get(), (e: unknown) => e instanceof LeaseStoreError && e.code === 'network');

  answer = 'hang';
  const slow = createKubeLeaseStore({
    kubeConfig: config(),
    namespace: 'ns',
    name: 'l',
    requestTimeoutMs: 50,
  });
  await assert.rejects(slow.get(), (e: unknown) => {
    assert.ok(e instanceof LeaseStoreError);
    assert.equal(e.code, 'network');
    assert.match(e.message, /timeout/);
    return true;
  });
  answer = { status: 200, body: '{}' };
});
