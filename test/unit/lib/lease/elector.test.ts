import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { type LeaseTimings, timingsFor } from '../../../../lib/lease/decide.ts';
import { LeaseElector, type LeaseStatus } from '../../../../lib/lease/elector.ts';
import { clockRunner, FakeLeaseStore } from '../../../support/fake-lease-store.ts';
import { createManualClock, type ManualClock } from '../../../support/manual-clock.ts';

const T: LeaseTimings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };
const logger = pino({ level: 'silent' });

interface Harness {
  clock: ManualClock;
  store: FakeLeaseStore;
  elector: LeaseElector;
  events: string[];
  statuses: LeaseStatus[];
  /** Advances the fake clock in small steps, letting the store's answers arrive in between. */
  run(ms: number): Promise<void>;
}

function harness(identity = 'pod-a', store = new FakeLeaseStore(), clock = createManualClock()): Harness {
  const events: string[] = [];
  const statuses: LeaseStatus[] = [];
  const elector = new LeaseElector(store, {
    subject: 'connection lease',
    identity,
    timings: T,
    clock,
    logger,
    onAcquired: () => events.push('acquired'),
    onLost: () => events.push('lost'),
    onStatus: (s) => statuses.push(s),
  });
  return {
    clock,
    store,
    elector,
    events,
    statuses,
    run: clockRunner(clock),
  };
}

test('timings follow client-go (15/10/2 s) scaled to the duration', () => {
  assert.deepEqual(timingsFor(15), T);
  assert.deepEqual(timingsFor(6), { leaseDurationMs: 6000, renewDeadlineMs: 4000, retryPeriodMs: 800 });
});

test('acquire: creates the absent Lease with us as holder and reports it once', async () => {
  const h = harness();
  h.elector.start();
  await h.run(0);
  assert.deepEqual(h.events, ['acquired']);
  assert.equal(h.elector.held, true);
  assert.equal(h.store.record?.holderIdentity, 'pod-a');
  assert.equal(h.store.record?.leaseDurationSeconds, 15);
  assert.equal(h.store.record?.leaseTransitions, 0);
  assert.equal(h.elector.status().phase, 'held');
});

test('renew: every retry period the renewTime moves, acquireTime and holder stay', async () => {
  const h = harness();
  h.elector.start();
  await h.run(0);
  const first = h.store.record;
  await h.run(T.retryPeriodMs * 3);
  const now = h.store.record;
  assert.ok(first && now);
  assert.equal(h.store.writes.length, 4);
  assert.equal(now.acquireTimeMs, first.acquireTimeMs);
  assert.equal(now.renewTimeMs, (first.renewTimeMs ?? 0) + 3 * T.retryPeriodMs);
  assert.notEqual(now.resourceVersion, first.resourceVersion);
  assert.deepEqual(h.events, ['acquired']);
});

test('renew while held: one replace from the last written record, no get', async () => {
  const h = harness();
  h.elector.start();
  await h.run(0);
  assert.deepEqual(h.store.ops, ['get', 'create']);
  await h.run(T.retryPeriodMs * 3);
  assert.deepEqual(h.store.ops, ['get', 'create', 'replace', 'replace', 'replace']);
  assert.deepEqual(h.events, ['acquired']);
});

test('renew while held: a failed fast renewal reads the Lease and renews in the same attempt', async () => {
  const h = harness();
  h.elector.start();
  await h.run(0);
  let failNext = true;
  h.store.fault = (op) => {
    if (op !== 'replace' || !failNext) return undefined;
    failNext = false;
    return 'http_500';
  };
  await h.run(T.retryPeriodMs);
  assert.deepEqual(h.store.ops, ['get', 'create', 'replace', 'get', 'replace']);
  assert.equal(h.store.writes.length, 2);
  assert.deepEqual(h.events, ['acquired']);
  assert.equal(h.elector.status().error, null);
});

test('a live Lease of another holder is never taken; it is taken once not renewed for its duration', async () => {
  const h = harness();
  const clock = h.clock;
  const other = (renewMs: number) =>
    h.store.writeAs({
      holderIdentity: 'pod-b',
      leaseDurationSeconds: 15,
      acquireTimeMs: 0,
      renewTimeMs: renewMs,
      leaseTransitions: 2,
    });
  other(clock.now());
  h.elector.start();
  // pod-b keeps renewing for a minute: we wait the whole time.
  for (let i = 0; i < 30; i++) {
    await h.run(T.retryPeriodMs);
    other(clock.now());
  }
  assert.deepEqual(h.events, []);
  assert.equal(h.elector.status().phase, 'held_by_other');
  assert.equal(h.elector.status().holder, 'pod-b');

  // pod-b stops renewing (crashed without release): its record is last seen changing now.
  const lastChange = clock.now();
  await h.run(T.leaseDurationMs - 100);
  assert.deepEqual(h.events, [], 'not before the lease duration has passed on our clock');
  // We see that last version at our next attempt (within a retry period) and count from there.
  await h.run(2 * T.retryPeriodMs + 100);
  assert.deepEqual(h.events, ['acquired']);
  assert.equal(h.store.record?.holderIdentity, 'pod-a');
  assert.equal(h.store.record?.leaseTransitions, 3);
  assert.ok((h.store.record?.acquireTimeMs ?? 0) >= lastChange + T.leaseDurationMs);
});

test('a released Lease (no holder) is taken at once', async () => {
  const h = harness();
  h.store.writeAs({
    holderIdentity: null,
    leaseDurationSeconds: 1,
    acquireTimeMs: 0,
    renewTimeMs: h.clock.now(),
    leaseTransitions: 4,
  });
  h.elector.start();
  await h.run(0);
  assert.deepEqual(h.events, ['acquired']);
  assert.equal(h.store.record?.leaseTransitions, 5);
});

test('conflict: when another writer wins the race (409) we do not hold it and wait for that holder', async () => {
  const h = harness();
  h.store.beforeWrite = () =>
    h.store.writeAs({
      holderIdentity: 'pod-b',
      leaseDurationSeconds: 15,
      acquireTimeMs: h.clock.now(),
      renewTimeMs: h.clock.now(),
      leaseTransitions: 0,
    });
  h.elector.start();
  await h.run(0);
  assert.equal(h.elector.held, false);
  assert.deepEqual(h.events, []);
  await h.run(T.retryPeriodMs);
  assert.equal(h.elector.status().phase, 'held_by_other');
  assert.equal(h.store.record?.holderIdentity, 'pod-b');
});

test('lost: renewals failing for the renew deadline give the Lease up once; it is taken back when the API recovers', async () => {
  const h = harness();
  h.elector.start();
  await h.run(0);
  const renewedAt = h.store.record?.renewTimeMs ?? 0;
  h.store.fault = () => 'http_503';
  await h.run(T.renewDeadlineMs - 200);
  assert.deepEqual(h.events, ['acquired'], 'still ours before the deadline');
  assert.equal(h.elector.status().error, 'http_503');
  await h.run(400);
  assert.deepEqual(h.events, ['acquired', 'lost']);
  assert.ok(h.clock.now() - renewedAt < T.leaseDurationMs, 'given up before anyone else may take it');
  assert.equal(h.elector.status().phase, 'unavailable');
  await h.run(T.retryPeriodMs * 3);
  assert.deepEqual(h.events, ['acquired', 'lost'], 'lost only once');

  h.store.fault = undefined;
  await h.run(T.retryPeriodMs);
  assert.deepEqual(h.events, ['acquired', 'lost', 'acquired']);
  assert.equal(h.elector.status().error, null);
});

test('lost: a hung API call cannot keep the Lease past the renew deadline', async () => {
  const h = harness();
  h.elector.start();
  await h.run(0);
  h.store.fault = () => 'hang';
  await h.run(T.renewDeadlineMs + T.retryPeriodMs);
  assert.deepEqual(h.events, ['acquired', 'lost']);
  assert.equal(h.elector.held, false);
});

test('lost at once when another holder took the Lease over', async () => {
  const h = harness();
  h.elector.start();
  await h.run(0);
  h.store.writeAs({
    holderIdentity: 'pod-b',
    leaseDurationSeconds: 15,
    acquireTimeMs: h.clock.now(),
    renewTimeMs: h.clock.now(),
    leaseTransitions: 1,
  });
  await h.run(T.retryPeriodMs);
  assert.deepEqual(h.events, ['acquired', 'lost']);
  assert.equal(h.elector.status().phase, 'held_by_other');
});

test('release clears the holder so a successor takes over without waiting; stop writes nothing more', async () => {
  const clock = createManualClock();
  const store = new FakeLeaseStore();
  const a = harness('pod-a', store, clock);
  const b = harness('pod-b', store, clock);
  a.elector.start();
  await a.run(0);
  b.elector.start();
  await b.run(T.retryPeriodMs);
  assert.equal(b.elector.status().phase, 'held_by_other');

  assert.equal(await a.elector.release(), true);
  assert.equal(store.record?.holderIdentity, null);
  const writes = store.writes.length;
  await b.run(T.retryPeriodMs);
  assert.deepEqual(b.events, ['acquired']);
  assert.equal(store.record?.holderIdentity, 'pod-b');
  assert.equal(store.writes.length, writes + 1, 'the released elector writes nothing more');
  assert.equal(a.elector.status().phase, 'stopped');
  assert.deepEqual(a.events, ['acquired'], 'release is not a loss');
});

test('release without holding the Lease writes nothing', async () => {
  const h = harness();
  h.store.writeHeldBy('pod-b', h.clock.now());
  h.elector.start();
  await h.run(0);
  assert.equal(await h.elector.release(), false);
  assert.equal(h.store.record?.holderIdentity, 'pod-b');
  assert.equal(h.store.writes.length, 1);
});

test('timings are validated', () => {
  assert.throws(
    () =>
      new LeaseElector(new FakeLeaseStore(), {
        subject: 'connection lease',
        identity: 'x',
        timings: { leaseDurationMs: 10, renewDeadlineMs: 10, retryPeriodMs: 1 },
        clock: createManualClock(),
        logger,
        onAcquired: () => {},
        onLost: () => {},
      }),
    /leaseDuration > renewDeadline > retryPeriod/,
  );
});
