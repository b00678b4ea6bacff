import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import {
  createConnectionLease,
  type LeasedConnections,
} from '../../../../forwarder/lease/connection-lease.ts';
import type { LeaseTimings } from '../../../../lib/lease/decide.ts';
import { LeaseElector } from '../../../../lib/lease/elector.ts';
import { clockRunner, FakeLeaseStore } from '../../../support/fake-lease-store.ts';
import { createManualClock } from '../../../support/manual-clock.ts';

const T: LeaseTimings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };
const logger = pino({ level: 'silent' });

/** Connections that record what happens, in order, including the Lease holder at each step. */
function recorder(store: FakeLeaseStore) {
  const log: string[] = [];
  let finishClose: (() => void) | undefined;
  let holdClose = false;
  const connections: LeasedConnections = {
    open: () => log.push(`open (holder ${store.record?.holderIdentity})`),
    close: () => {
      log.push('close');
      if (!holdClose) {
        log.push('closed');
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        finishClose = () => {
          log.push('closed');
          resolve();
        };
      });
    },
  };
  return {
    log,
    connections,
    holdCloses: () => {
      holdClose = true;
    },
    finishClose: () => finishClose?.(),
  };
}

function setup() {
  const clock = createManualClock();
  const store = new FakeLeaseStore();
  const rec = recorder(store);
  const lease = createConnectionLease({
    connections: rec.connections,
    logger,
    makeElector: (h) =>
      new LeaseElector(store, {
        subject: 'connection lease',
        identity: 'pod-a',
        timings: T,
        clock,
        logger,
        onAcquired: h.onAcquired,
        onLost: h.onLost,
      }),
  });
  const run = clockRunner(clock);
  return { clock, store, rec, lease, run };
}

test('connections open only once the Lease is ours', async () => {
  const s = setup();
  s.store.writeHeldBy('pod-b', s.clock.now());
  s.lease.start();
  await s.run(T.retryPeriodMs * 3);
  assert.deepEqual(s.rec.log, []);
  assert.equal(s.lease.status()?.phase, 'held_by_other');
  await s.run(T.leaseDurationMs);
  assert.deepEqual(s.rec.log, ['open (holder pod-a)']);
});

test('a lost Lease closes the connections at once; they reopen fresh after the close, when it is back', async () => {
  const s = setup();
  s.lease.start();
  await s.run(0);
  assert.deepEqual(s.rec.log, ['open (holder pod-a)']);
  s.rec.holdCloses();
  s.store.fault = () => 'http_500';
  await s.run(T.renewDeadlineMs);
  assert.deepEqual(s.rec.log, ['open (holder pod-a)', 'close']);
  assert.equal(s.lease.status()?.phase, 'unavailable');

  // The API answers again while the old sockets are still closing: no new socket before closed.
  s.store.fault = undefined;
  await s.run(T.retryPeriodMs);
  assert.equal(s.lease.status()?.phase, 'held');
  assert.deepEqual(s.rec.log, ['open (holder pod-a)', 'close']);
  s.rec.finishClose();
  await s.run(0);
  assert.deepEqual(s.rec.log, ['open (holder pod-a)', 'close', 'closed', 'open (holder pod-a)']);
});

test('shutdown closes the connections first, then releases the Lease', async () => {
  const s = setup();
  s.lease.start();
  await s.run(0);
  s.rec.holdCloses();
  const done = s.lease.shutdown();
  await s.run(0);
  assert.deepEqual(s.rec.log, ['open (holder pod-a)', 'close']);
  assert.equal(s.store.record?.holderIdentity, 'pod-a', 'still held while the sockets close');
  s.rec.finishClose();
  await done;
  assert.equal(s.store.record?.holderIdentity, null, 'released after the close');
  assert.equal(s.lease.shutdown(), done, 'idempotent');
  await s.run(T.leaseDurationMs);
  assert.deepEqual(s.rec.log, ['open (holder pod-a)', 'close', 'closed'], 'never reopened');
});

test('shutdown while waiting for the Lease opens nothing and releases nothing', async () => {
  const s = setup();
  s.store.writeHeldBy('pod-b', s.clock.now());
  s.lease.start();
  await s.run(T.retryPeriodMs);
  await s.lease.shutdown();
  assert.deepEqual(s.rec.log, []);
  assert.equal(s.store.record?.holderIdentity, 'pod-b');
});

test('disabled Lease: connections open at start, close on shutdown, no Kubernetes access', async () => {
  const store = new FakeLeaseStore();
  const rec = recorder(store);
  const lease = createConnectionLease({ connections: rec.connections, logger, makeElector: null });
  lease.start();
  assert.equal(lease.status(), null);
  await lease.shutdown();
  assert.deepEqual(rec.log, ['open (holder undefined)', 'close', 'closed']);
});
