import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  HttpReadinessProbe,
  podIpUrlResolver,
  serviceUrlResolver,
} from '../../../../operator/controller/probe.ts';
import { readyBody } from '../../../support/readiness-bodies.ts';

/** A loopback stand-in for the forwarder's /readyz; each test sets the answer. */
let answer: { status: number; body: string; hang?: boolean } = { status: 200, body: '' };
let server: Server;
let base: string;

const ready = readyBody();

before(async () => {
  server = createServer((req, res) => {
    if (req.url !== '/readyz') {
      res.writeHead(404).end();
      return;
    }
    if (answer.hang) return;
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const target = { namespace: 'ns', name: 'af', serviceName: 'af-forwarder' };
// Generous: only the hanging-server test relies on the timeout, and it fires whatever the load.
const probe = (timeoutMs = 30_000) =>
  new HttpReadinessProbe({ resolveUrl: () => `${base}/readyz`, timeoutMs });

describe('HttpReadinessProbe', () => {
  test('200 with a valid body is reported as ready', async () => {
    answer = { status: 200, body: JSON.stringify(ready) };
    const out = await probe().probe(target);
    assert.equal(out.kind, 'reported');
    assert.equal(out.kind === 'reported' && out.body.ready, true);
  });

  test('the live symbol_count is carried through; a negative one fails the contract', async () => {
    answer = { status: 200, body: JSON.stringify({ ...ready, symbol_count: 417 }) };
    const out = await probe().probe(target);
    assert.ok(out.kind === 'reported');
    assert.equal(out.body.symbol_count, 417);
    answer = { status: 200, body: JSON.stringify({ ...ready, symbol_count: -1 }) };
    const bad = await probe().probe(target);
    assert.ok(bad.kind === 'unknown' && bad.detail.includes('symbol_count'));
  });

  test('subscription_incomplete is a contract error class', async () => {
    const body = {
      ...ready,
      ready: false,
      error_class: 'subscription_incomplete',
      reason: 'alpaca_subscription_incomplete',
      gates: { alpaca_ws: false, kafka: true, trade_updates: null },
    };
    answer = { status: 503, body: JSON.stringify(body) };
    const out = await probe().probe(target);
    assert.ok(out.kind === 'reported');
    assert.equal(out.body.error_class, 'subscription_incomplete');
  });

  test('503 with an error class is reported with it', async () => {
    const body = {
      ...ready,
      ready: false,
      error_class: 'kafka_auth',
      reason: 'kafka_sasl_failed',
      gates: { alpaca_ws: true, kafka: false, trade_updates: null },
    };
    answer = { status: 503, body: JSON.stringify(body) };
    const out = await probe().probe(target);
    assert.ok(out.kind === 'reported');
    assert.equal(out.body.error_class, 'kafka_auth');
    assert.equal(out.httpStatus, 503);
  });

  test('a body that fails the contract is unknown with the offending fields, never trusted', async () => {
    answer = {
      status: 503,
      body: JSON.stringify({ ...ready, ready: false, error_class: 'Kafka SASL failed: password=hunter2' }),
    };
    const out = await probe().probe(target);
    assert.ok(out.kind === 'unknown');
    assert.equal(out.reason, 'bad_body');
    assert.match(out.detail, /error_class/);
    assert.doesNotMatch(out.detail, /hunter2/);
  });

  test('non-JSON, contradicting status and unexpected status codes are unknown', async () => {
    answer = { status: 200, body: 'OK' };
    assert.deepEqual(await probe().probe(target), {
      kind: 'unknown',
      reason: 'bad_body',
      detail: 'body is not JSON',
    });
    answer = { status: 200, body: JSON.stringify({ ...ready, ready: false }) };
    const contradicting = await probe().probe(target);
    assert.ok(contradicting.kind === 'unknown' && contradicting.reason === 'bad_body');
    answer = { status: 500, body: JSON.stringify(ready) };
    const s500 = await probe().probe(target);
    assert.ok(s500.kind === 'unknown' && s500.reason === 'bad_status');
  });

  test('an oversized body is unknown', async () => {
    answer = { status: 200, body: JSON.stringify({ ...ready, detail: { pad: 'x'.repeat(100_000) } }) };
    const out = await probe().probe(target);
    assert.ok(out.kind === 'unknown' && out.reason === 'bad_body');
  });

  test('no answer within the timeout is unknown: timeout', async () => {
    answer = { status: 200, body: '', hang: true };
    const out = await probe(200).probe(target);
    assert.ok(out.kind === 'unknown');
    assert.equal(out.reason, 'timeout');
  });

  test('connection refused is unknown: unreachable; no URL is unknown: no_endpoint', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const p = new HttpReadinessProbe({ resolveUrl: () => `http://127.0.0.1:${port}/readyz` });
    const out = await p.probe(target);
    assert.ok(out.kind === 'unknown' && out.reason === 'unreachable');
    const none = await new HttpReadinessProbe({ resolveUrl: podIpUrlResolver(8080) }).probe(target);
    assert.ok(none.kind === 'unknown' && none.reason === 'no_endpoint');
  });

  test('URL resolvers: Service DNS name by default, pod IP when configured', () => {
    assert.equal(serviceUrlResolver(8080)(target), 'http://af-forwarder.ns.svc:8080/readyz');
    assert.equal(podIpUrlResolver(9000)({ ...target, podIP: '10.1.2.3' }), 'http://10.1.2.3:9000/readyz');
    assert.equal(podIpUrlResolver(9000)({ ...target, podIP: 'fd00::1' }), 'http://[fd00::1]:9000/readyz');
  });
});
