import assert from 'node:assert/strict';
import { type AddressInfo, createServer } from 'node:net';
import { after, describe, test } from 'node:test';
import type { ReadinessBody } from '../../../../contracts/readiness.ts';
import { createMetrics } from '../../../../forwarder/health/metrics.ts';
import { type HealthServer, startHealthServer } from '../../../../forwarder/health/server.ts';

const servers: HealthServer[] = [];

/** A port the kernel just handed out on 127.0.0.1 (released for the server under test). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

function body(ready: boolean): ReadinessBody {
  return {
    ready,
    error_class: ready ? null : 'kafka_auth',
    reason: ready ? null : 'kafka_sasl_authentication_failed',
    gates: { alpaca_ws: true, kafka: ready, trade_updates: null },
    since: '2026-01-01T00:00:00.000Z',
    detail: {},
  };
}

describe('health server', () => {
  test('one listener serves /healthz, /readyz and /metrics when the ports are equal', async () => {
    let ready = false;
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.pipeline.received('trades');
    const server = await startHealthServer(
      { readiness: () => body(ready), registry: metrics.registry },
      { healthPort: 0, metricsPort: 0, host: '127.0.0.1' },
    );
    servers.push(server);
    assert.equal(server.healthPort, server.metricsPort);
    const base = `http://127.0.0.1:${server.healthPort}`;
    const h = await fetch(`${base}/healthz`);
    assert.equal(h.status, 200);
    assert.equal(((await h.json()) as { status: string }).status, 'ok');
    const r1 = await fetch(`${base}/readyz`);
    assert.equal(r1.status, 503);
    assert.deepEqual(await r1.json(), body(false));
    ready = true;
    const r2 = await fetch(`${base}/readyz`);
    assert.equal(r2.status, 200);
    const m = await fetch(`${base}/metrics`);
    assert.equal(m.status, 200);
    assert.match(await m.text(), /alpaca_forwarder_events_received_total\{channel="trades"\} 1/);
  });

  test('separate ports: /metrics only on the metrics port', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const metricsPort = await freePort();
    const server = await startHealthServer(
      { readiness: () => body(true), registry: metrics.registry },
      { healthPort: 0, metricsPort, host: '127.0.0.1' },
    );
    servers.push(server);
    assert.equal(server.metricsPort, metricsPort);
    assert.notEqual(server.healthPort, metricsPort);
    assert.equal((await fetch(`http://127.0.0.1:${server.healthPort}/metrics`)).status, 404);
    assert.equal((await fetch(`http://127.0.0.1:${server.healthPort}/readyz`)).status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).status, 404);
  });

  test('readiness metrics follow the body', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.readiness({ ...body(false) });
    const text = await metrics.registry.metrics();
    assert.match(text, /alpaca_forwarder_ready 0/);
    assert.match(text, /alpaca_forwarder_readiness_gate\{gate="kafka"\} 0/);
    assert.match(text, /alpaca_forwarder_readiness_gate\{gate="trade_updates"\} -1/);
    assert.match(text, /alpaca_forwarder_readiness_error_class\{error_class="kafka_auth"\} 1/);
    assert.match(text, /alpaca_forwarder_readiness_error_class\{error_class="alpaca_auth"\} 0/);
  });
});
