import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { setupConnectionLease } from '../../../../forwarder/lease/setup.ts';
import { settle } from '../../../support/fake-lease-store.ts';
import { createManualClock } from '../../../support/manual-clock.ts';

const logger = pino({ level: 'silent' });

function connections() {
  const log: string[] = [];
  return {
    log,
    connections: {
      open: () => log.push('open'),
      close: async () => {
        log.push('close');
      },
    },
  };
}

test('lease disabled: no name, no status, connections open at start', async () => {
  const c = connections();
  const s = setupConnectionLease({
    lease: { enabled: false, namespace: null, durationSeconds: 15 },
    keyId: 'PKTEST',
    identity: 'pod',
    connections: c.connections,
    logger,
  });
  assert.equal(s.name, null);
  s.lease.start();
  assert.equal(s.lease.status(), null);
  await s.lease.shutdown();
  assert.deepEqual(c.log, ['open', 'close']);
});

test('an unloadable kubeconfig keeps the process up: lease_unavailable (kube_config), never connects', async () => {
  const saved = process.env.KUBECONFIG;
  process.env.KUBECONFIG = '/nonexistent/kubeconfig';
  try {
    const clock = createManualClock();
    const c = connections();
    const s = setupConnectionLease({
      lease: { enabled: true, namespace: 'trading', durationSeconds: 15 },
      keyId: 'PKTEST',
      identity: 'pod',
      connections: c.connections,
      logger,
      clock,
    });
    assert.match(s.name ?? '', /^alpaca-forwarder-[0-9a-f]{16}$/);
    s.lease.start();
    clock.advance(0);
    await settle();
    assert.equal(s.lease.status()?.phase, 'unavailable');
    assert.equal(s.lease.status()?.error, 'kube_config');
    await s.lease.shutdown();
    assert.deepEqual(c.log, []);
  } finally {
    if (saved === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = saved;
  }
});
