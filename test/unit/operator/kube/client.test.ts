/**
 * The operator's Kubernetes client (operator/kube/client.ts over lib/kube/http2-transport.ts)
 * against a local HTTP/2 TLS server with a throwaway PKI: the requests each method sends (verb,
 * path, query, Content-Type, JSON body, bearer token, client certificate), every request and
 * watch as a stream on one connection, watch streams split into events, how answers map to
 * results and KubeErrors, and a new connection after the server's GOAWAY. The real kube-apiserver
 * runs the same client in test/integration/operator/.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http2, { type Http2SecureServer, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import type { TLSSocket } from 'node:tls';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeClientConfig } from '../../../../lib/kube/kube-config.ts';
import { KubeClient, toWire } from '../../../../operator/kube/client.ts';
import { KubeError } from '../../../../operator/kube/errors.ts';
import type { WatchEvent } from '../../../../operator/kube/list-watcher.ts';
import {
  ALPACA_FORWARDER,
  CONFIG_MAP,
  DEPLOYMENT,
  POD_MONITOR,
} from '../../../../operator/kube/resources.ts';
import { generatePki, type Pki } from '../../../infra/kube/pki.ts';
import { localClientConfig } from '../../../support/kube-client-config.ts';

interface Seen {
  method: string;
  path: string;
  contentType: string | undefined;
  authorization: string | undefined;
  clientCn: string | undefined;
  body: string;
}

type Handler = (s: Seen, stream: ServerHttp2Stream) => void;

const dir = mkdtempSync(join(tmpdir(), 'kube-client-test-'));
let pki: Pki;
let server: Http2SecureServer;
let port: number;
let sessions: ServerHttp2Session[] = [];
let seen: Seen[] = [];
let handler: Handler = (_s, stream) => json(stream, 200, {});
const TOKEN = 'very-secret-token';

function json(
  stream: ServerHttp2Stream,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  stream.respond({ ':status': status, 'content-type': 'application/json', ...headers });
  stream.end(JSON.stringify(body));
}

before(async () => {
  pki = await generatePki(dir);
  server = http2.createSecureServer({
    cert: readFileSync(pki.servingCert),
    key: readFileSync(pki.servingKey),
    ca: readFileSync(pki.caCert),
    requestCert: true,
    rejectUnauthorized: false,
  });
  server.on('session', (s) => sessions.push(s));
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const peer = (stream.session?.socket as TLSSocket | undefined)?.getPeerCertificate();
      const s: Seen = {
        method: String(headers[':method']),
        path: String(headers[':path']),
        contentType: headers['content-type'],
        authorization: headers.authorization,
        clientCn: peer?.subject?.CN === undefined ? undefined : String(peer.subject.CN),
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(s);
      handler(s, stream);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  for (const s of sessions) s.destroy();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  seen = [];
  sessions = [];
  handler = (_s, stream) => json(stream, 200, {});
});

function config(extra: Partial<KubeClientConfig> = {}): KubeClientConfig {
  return localClientConfig(port, pki, TOKEN, extra);
}

const client = (extra: Partial<KubeClientConfig> = {}) =>
  new KubeClient(config(extra), { apply: 'op-apply', status: 'op-status' });

test('each method: verb, path, query, Content-Type, JSON body, token and client certificate; all on one connection', async () => {
  const c = client();
  handler = (s, stream) => {
    if (s.path.startsWith('/api/v1/namespaces/ns/secrets/')) {
      json(stream, 200, { data: { key: Buffer.from('k1').toString('base64'), other: 'eA==' } });
    } else if (s.path.startsWith('/apis/monitoring.coreos.com/v1')) {
      json(stream, 200, { resources: [{ name: 'podmonitors', kind: 'PodMonitor' }] });
    } else if (s.path.startsWith('/api/v1/namespaces/ns/configmaps?')) {
      json(stream, 200, {
        metadata: { resourceVersion: '77' },
        items: [{ metadata: { name: 'a', namespace: 'ns' } }],
      });
    } else {
      json(stream, 200, { kind: 'Echo', method: s.method });
    }
  };
  const cm = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cm', namespace: 'ns' },
    data: { a: 'b' },
  };
  await c.apply(cm);
  await c.applyStatus(ALPACA_FORWARDER, 'ns', 'af', { phase: 'x' });
  assert.equal(await c.delete(DEPLOYMENT, 'ns', 'd'), true);
  await c.get(DEPLOYMENT, 'ns', 'd');
  const listed = await c.list(CONFIG_MAP, { namespace: 'ns', labelSelector: 'a=b' });
  const secret = await c.readSecretKeys('ns', 's', ['key', 'missing']);
  assert.equal(await c.serves(POD_MONITOR), true);
  await c.patchEvent('ns', 'e1', { series: { count: 2 } });
  await c.createLease('ns', { metadata: { name: 'l' }, spec: { holderIdentity: 'me' } });
  await c.replaceLease('ns', { metadata: { name: 'l', resourceVersion: '5' }, spec: {} });

  assert.deepEqual(listed, {
    resourceVersion: '77',
    items: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'ns' } }],
  });
  assert.deepEqual(secret, new Map([['key', Buffer.from('k1')]]));
  assert.deepEqual(
    seen.map((s) => [s.method, s.path, s.contentType ?? '']),
    [
      [
        'PATCH',
        '/api/v1/namespaces/ns/configmaps/cm?fieldManager=op-apply&force=true',
        'application/apply-patch+yaml',
      ],
      [
        'PATCH',
        '/apis/torghut.io/v1alpha1/namespaces/ns/alpacaforwarders/af/status?fieldManager=op-status&force=true',
        'application/apply-patch+yaml',
      ],
      ['DELETE', '/apis/apps/v1/namespaces/ns/deployments/d', 'application/json'],
      ['GET', '/apis/apps/v1/namespaces/ns/deployments/d', ''],
      ['GET', '/api/v1/namespaces/ns/configmaps?labelSelector=a%3Db', ''],
      ['GET', '/api/v1/namespaces/ns/secrets/s', ''],
      ['GET', '/apis/monitoring.coreos.com/v1', ''],
      ['PATCH', '/apis/events.k8s.io/v1/namespaces/ns/events/e1', 'application/merge-patch+json'],
      ['POST', '/apis/coordination.k8s.io/v1/namespaces/ns/leases', 'application/json'],
      ['PUT', '/apis/coordination.k8s.io/v1/namespaces/ns/leases/l', 'application/json'],
    ],
  );
  assert.deepEqual(JSON.parse(seen[0]?.body ?? ''), cm);
  assert.deepEqual(JSON.parse(seen[1]?.body ?? ''), {
    apiVersion: 'torghut.io/v1alpha1',
    kind: 'AlpacaForwarder',
    metadata: { name: 'af', namespace: 'ns' },
    status: { phase: 'x' },
  });
  assert.equal(JSON.parse(seen[2]?.body ?? '').propagationPolicy, 'Background');
  for (const s of seen) {
    assert.equal(s.authorization, `Bearer ${TOKEN}`);
    assert.equal(s.clientCn, 'test-admin');
  }
  assert.equal(sessions.length, 1, 'one connection for every request');
  assert.equal(c.connectionsOpened, 1);
  await c.close();
});

test('a path prefix of the server URL is kept', async () => {
  const c = client({ server: `https://127.0.0.1:${port}/k8s/clusters/c1` });
  await c.get(DEPLOYMENT, 'ns', 'd');
  assert.equal(seen[0]?.path, '/k8s/clusters/c1/apis/apps/v1/namespaces/ns/deployments/d');
  await c.close();
});

test('answers: 404 → undefined / false; a Status becomes a KubeError with its reason, message, fields and Retry-After', async () => {
  const c = client();
  handler = (_s, stream) => json(stream, 404, { kind: 'Status', reason: 'NotFound', message: 'gone' });
  assert.equal(await c.get(DEPLOYMENT, 'ns', 'd'), undefined);
  assert.equal(await c.delete(DEPLOYMENT, 'ns', 'd'), false);
  assert.equal(await c.readSecretKeys('ns', 's', ['k']), undefined);
  assert.equal(await c.serves(POD_MONITOR), false);
  assert.equal(await c.getLease('ns', 'l'), undefined);

  handler = (_s, stream) =>
    json(stream, 422, {
      kind: 'Status',
      reason: 'Invalid',
      message: 'Deployment.apps "d" is invalid',
      details: { causes: [{ field: 'spec.replicas' }] },
    });
  const invalid = await c
    .apply({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'ns' } })
    .then(
      () => assert.fail('resolved'),
      (e: unknown) => e,
    );
  assert.ok(invalid instanceof KubeError);
  assert.equal(invalid.kind, 'Invalid');
  assert.equal(invalid.status, 422);
  assert.equal(invalid.request, 'apply Deployment ns/d');
  assert.deepEqual(invalid.apiStatus, {
    reason: 'Invalid',
    message: 'Deployment.apps "d" is invalid',
    fields: ['spec.replicas'],
  });
  assert.equal(invalid.message, 'apply Deployment ns/d: HTTP 422: Deployment.apps "d" is invalid');

  handler = (_s, stream) =>
    json(stream, 429, { kind: 'Status', message: 'slow down' }, { 'retry-after': '7' });
  const limited = await c.list(CONFIG_MAP).then(
    () => assert.fail('resolved'),
    (e: unknown) => e as KubeError,
  );
  assert.equal(limited.kind, 'TooManyRequests');
  assert.equal(limited.retryAfterSeconds, 7);
  assert.equal(limited.retryable, true);
  assert.doesNotMatch(
    JSON.stringify({ ...limited, message: limited.message }),
    /very-secret-token|retry-after/,
  );
  await c.close();
});

test('an object of a kind the client does not know is refused before any request', async () => {
  const c = client();
  await assert.rejects(
    c.apply({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'ns' } }),
    (e: unknown) =>
      e instanceof KubeError &&
      e.kind === 'Invalid' &&
      /example\.com\/v1 Widget is not a type/.test(e.message),
  );
  assert.equal(seen.length, 0);
  await c.close();
});

test('a connection failure is a KubeError Network naming the request, without the token', async () => {
  const c = client({ server: 'https://127.0.0.1:1' });
  const err = await c.get(DEPLOYMENT, 'ns', 'd').then(
    () => assert.fail('resolved'),
    (e: unknown) => e as KubeError,
  );
  assert.ok(err instanceof KubeError);
  assert.equal(err.kind, 'Network');
  assert.equal(err.status, 0);
  assert.match(err.message, /^get Deployment ns\/d: /);
  assert.doesNotMatch(err.message, /very-secret-token/);
  await c.close();
});

test('NetworkPolicy ingress peers go out under their wire name `from`', () => {
  const np = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'n', namespace: 'ns' },
    spec: { ingress: [{ _from: [{ podSelector: {} }], ports: [{ port: 8080 }] }, { ports: [{ port: 9 }] }] },
  } as KubernetesObject;
  assert.deepEqual((toWire(np) as unknown as { spec: unknown }).spec, {
    ingress: [{ from: [{ podSelector: {} }], ports: [{ port: 8080 }] }, { ports: [{ port: 9 }] }],
  });
});

test('watch: events split across chunks, transform applied (not to bookmarks), clean end; watches share the connection', async () => {
  const c = client();
  const events = [
    { type: 'ADDED', object: { metadata: { name: 'a', resourceVersion: '2' }, data: { s: 'x' } } },
    { type: 'BOOKMARK', object: { metadata: { resourceVersion: '3' } } },
    { type: 'DELETED', object: { metadata: { name: 'a', resourceVersion: '4' }, data: { s: 'x' } } },
  ];
  handler = (s, stream) => {
    if (!s.path.includes('watch=true')) {
      json(stream, 200, { metadata: { resourceVersion: '1' }, items: [] });
      return;
    }
    stream.respond({ ':status': 200, 'content-type': 'application/json' });
    const text = events.map((e) => `${JSON.stringify(e)}\n`).join('');
    // Cut mid-event (and mid-character of nothing: plain ASCII) to test the line splitting.
    stream.write(text.slice(0, 25));
    setImmediate(() => stream.end(text.slice(25)));
  };
  const source = c.watchSource<KubernetesObject & { data?: unknown }>(
    CONFIG_MAP,
    { namespace: 'ns', labelSelector: 'x=y' },
    { timeoutSeconds: 290, inactivityMs: 60_000 },
    ({ data: _d, ...o }) => o,
  );
  assert.deepEqual(await source.list(), { items: [], resourceVersion: '1' });
  const got: Array<WatchEvent<KubernetesObject>> = [];
  const ended = new Promise<unknown>((resolve) => {
    void source.watch('1', (e) => got.push(e), resolve);
  });
  assert.equal(await ended, undefined, 'a clean end');
  assert.deepEqual(got, [
    { type: 'ADDED', object: { metadata: { name: 'a', resourceVersion: '2' } } },
    { type: 'BOOKMARK', object: { metadata: { resourceVersion: '3' } } },
    { type: 'DELETED', object: { metadata: { name: 'a', resourceVersion: '4' } } },
  ]);
  assert.equal(
    seen[1]?.path,
    '/api/v1/namespaces/ns/configmaps?watch=true&resourceVersion=1&allowWatchBookmarks=true&timeoutSeconds=290&labelSelector=x%3Dy',
  );
  assert.equal(sessions.length, 1);
  await c.close();
});

test('watch: an answer outside 2xx ends it with a KubeError (410 → Gone); stop() ends it without a callback', async () => {
  const c = client();
  handler = (_s, stream) => json(stream, 410, { kind: 'Status', reason: 'Expired', message: 'too old' });
  const source = c.watchSource(CONFIG_MAP, {}, { timeoutSeconds: 5, inactivityMs: 60_000 });
  const err = await new Promise<unknown>((resolve) => {
    void source.watch('1', () => assert.fail('no event'), resolve);
  });
  assert.ok(err instanceof KubeError);
  assert.equal(err.kind, 'Gone');
  assert.equal(err.status, 410);

  let streamOpened!: () => void;
  let streamClosed!: () => void;
  const opened = new Promise<void>((resolve) => {
    streamOpened = resolve;
  });
  const closed = new Promise<void>((resolve) => {
    streamClosed = resolve;
  });
  handler = (_s, stream) => {
    stream.respond({ ':status': 200 });
    stream.on('close', () => streamClosed());
    streamOpened();
  };
  let done = false;
  const handle = await source.watch(
    '1',
    () => {},
    () => {
      done = true;
    },
  );
  await opened;
  handle.stop();
  await closed;
  assert.equal(done, false, 'no onDone after stop()');
  await c.close();
});

test("after the server's GOAWAY the next request goes to a new connection", async () => {
  const c = client();
  await c.get(DEPLOYMENT, 'ns', 'd');
  assert.equal(sessions.length, 1);
  const first = sessions[0];
  const goneAway = new Promise<void>((resolve) => first?.once('close', () => resolve()));
  first?.goaway(http2.constants.NGHTTP2_NO_ERROR);
  first?.close();
  await goneAway;
  await c.get(DEPLOYMENT, 'ns', 'd');
  assert.equal(sessions.length, 2);
  assert.equal(c.connectionsOpened, 2);
  await c.close();
});
