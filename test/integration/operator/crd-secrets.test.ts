/**
 * The CRD on the real kube-apiserver never echoes a secret: a URL with user:password@ or a
 * credential in symbolsFrom.url's query string is refused (422) with the CEL message naming the
 * field, and the password is nowhere in the answer.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { ApiException, type KubeConfig } from '@kubernetes/client-node';
import { controlPlaneFromEnv } from '../../infra/kube/index.ts';
import { createTestNamespace } from '../../infra/kube/k8s-helpers.ts';
import { installCrd } from './harness.ts';
import { applyForwarder, forwarderSpec } from './resources.ts';

const plane = controlPlaneFromEnv();
const PASSWORD = 'hunter2-Pa55w0rd-9f1c';

describe('CRD validation keeps secrets out of its answers', () => {
  let kc: KubeConfig;
  let ns: string;
  before(async () => {
    kc = plane.kubeConfig();
    await installCrd(plane.kubeconfigPath, kc);
    ns = await createTestNamespace(kc, 'crd-secrets');
  });

  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    [
      'streamUrl with user:password@',
      { streamUrl: `wss://svc:${PASSWORD}@stream.example` },
      /spec\.streamUrl must not contain user information/,
    ],
    [
      'dataUrl with user:password@',
      { dataUrl: `https://svc:${PASSWORD}@data.example` },
      /spec\.dataUrl must not contain user information/,
    ],
    [
      'tradeUpdates.streamUrl with token@',
      { tradeUpdates: { enabled: true, streamUrl: `wss://${PASSWORD}@paper.example/stream` } },
      /spec\.tradeUpdates\.streamUrl must not contain user information/,
    ],
    [
      'symbolsFrom.url with user:password@',
      { symbolsFrom: { url: `https://svc:${PASSWORD}@jangar.example/symbols` } },
      /spec\.symbolsFrom\.url must not contain user information/,
    ],
    [
      'symbolsFrom.url with ?token=',
      { symbolsFrom: { url: `https://jangar.example/symbols?universe=core&token=${PASSWORD}` } },
      /spec\.symbolsFrom\.url must not carry credentials in its query string.*spec\.symbolsFrom\.headersFrom/,
    ],
    [
      'symbolsFrom.url with ?token= and no path (once a pattern failure that echoed the value)',
      { symbolsFrom: { url: `https://jangar.example?token=${PASSWORD}` } },
      /spec\.symbolsFrom\.url must not carry credentials in its query string/,
    ],
    [
      'symbolsFrom.url with ?x-api-key=',
      { symbolsFrom: { url: `https://jangar.example/symbols?x-api-key=${PASSWORD}` } },
      /spec\.symbolsFrom\.url must not carry credentials in its query string/,
    ],
    [
      'symbolsFrom.url with an upper-case scheme and user:password@',
      { symbolsFrom: { url: `HTTPS://svc:${PASSWORD}@jangar.example/symbols` } },
      /spec\.symbolsFrom\.url must not contain user information.*spec\.symbolsFrom\.headersFrom/,
    ],
    [
      'streamUrl with another scheme and user:password@ (once a pattern failure that echoed the value)',
      { streamUrl: `ftp://svc:${PASSWORD}@stream.example` },
      /spec\.streamUrl must be a ws:\/\/ or wss:\/\/ URL/,
    ],
  ];
  for (const [what, extra, message] of cases) {
    test(`${what}: 422 naming the field, the password nowhere in the answer`, async () => {
      await assert.rejects(applyForwarder(kc, ns, 'leaky', forwarderSpec('creds', extra)), (err: unknown) => {
        assert.ok(err instanceof ApiException, String(err));
        assert.equal(err.code, 422);
        const body = typeof err.body === 'string' ? err.body : JSON.stringify(err.body);
        assert.match(body, message);
        assert.ok(!body.includes(PASSWORD), `the answer echoes the password: ${body}`);
        assert.ok(!String(err.message).includes(PASSWORD), 'the error message echoes the password');
        return true;
      });
    });
  }

  test('headersFrom naming Host is refused by its rule', async () => {
    await assert.rejects(
      applyForwarder(
        kc,
        ns,
        'host-header',
        forwarderSpec('creds', {
          symbolsFrom: {
            url: 'https://jangar.example/symbols',
            headersFrom: [{ name: 'Host', secretKeyRef: { name: 'jangar', key: 'host' } }],
          },
        }),
      ),
      (err: unknown) => {
        assert.ok(err instanceof ApiException && err.code === 422, String(err));
        assert.match(JSON.stringify(err.body), /headersFrom\[\]\.name may not be Host/);
        return true;
      },
    );
  });

  test('a URL with headersFrom (credentials from a Secret) is accepted', async () => {
    await applyForwarder(
      kc,
      ns,
      'with-headers',
      forwarderSpec('creds', {
        symbolsFrom: {
          url: 'https://jangar.example/symbols?universe=core',
          headersFrom: [{ name: 'Authorization', secretKeyRef: { name: 'jangar', key: 'bearer' } }],
        },
      }),
    );
  });

  test('a URL without credentials is accepted', async () => {
    await applyForwarder(
      kc,
      ns,
      'clean',
      forwarderSpec('creds', { symbolsFrom: { url: 'https://jangar.example/symbols?universe=core' } }),
    );
  });
});
