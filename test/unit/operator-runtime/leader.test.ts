import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { V1Lease } from '@kubernetes/client-node';
import { KubeError } from '../../../operator/kube/errors.ts';
import { LeaderElector, type LeaseStore } from '../../../operator/leader.ts';
import { FakeTimers } from './fake-timers.ts';

/** One Lease in memory with resourceVersion preconditions, like the API server. */
class MemoryLease {
  lease: V1Lease | undefined;
  rv = 0;
  store(partitioned: () => boolean): LeaseStore {
    const check = () => {
      if (partitioned()) throw new KubeError('Network', 0, 'connect ECONNREFUSED');
    };
    return {
      get: async () => {
        check();
        return this.lease === undefined ? undefined : structuredClone(this.lease);
      },
      create: async (l) => {
        check();
        if (this.lease) throw new KubeError('Conflict', 409, 'exists');
        this.lease = {
          ...structuredClone(l),
          metadata: { ...l.metadata, resourceVersion: String(++this.rv) },
        };
        return structuredClone(this.lease);
      },
      replace: async (l) => {
        check();
        if (l.metadata?.resourceVersion !== this.lease?.metadata?.resourceVersion)
          throw new KubeError('Conflict', 409, 'stale');
        this.lease = {
          ...structuredClone(l),
          metadata: { ...l.metadata, resourceVersion: String(++this.rv) },
        };
        return structuredClone(this.lease);
      },
    };
  }
}

function candidates(timers: FakeTimers, mem: MemoryLease) {
  const leading = new Set<string>();
  let bothLeading = false;
  const log: string[] = [];
  const partitioned = new Set<string>();
  const make = (id: string) =>
    new LeaderElector(
      mem.store(() => partitioned.has(id)),
      {
        namespace: 'ops',
        name: 'alpaca-forwarder-operator',
        identity: id,
        timers,
        onStartedLeading: () => {
          leading.add(id);
          if (leading.size > 1) bothLeading = true;
          log.push(`${id}+`);
        },
        onStoppedLeading: () => {
          leading.delete(id);
          log.push(`${id}-`);
        },
      },
    );
  return {
    make,
    leading,
    log,
    partitioned,
    get bothLeading() {
      return bothLeading;
    },
  };
}

/** Two candidates on one Lease: a starts first and takes it, then b starts and waits. */
async function aLeadsBWaits() {
  const timers = new FakeTimers();
  const mem = new MemoryLease();
  const c = candidates(timers, mem);
  const a = c.make('a');
  const b = c.make('b');
  a.start();
  await timers.advance(0);
  b.start();
  return { timers, mem, c, a, b };
}

describe('LeaderElector', () => {
  test('one of two candidates leads; release on stop hands over without waiting for expiry', async () => {
    const { timers, mem, c, a, b } = await aLeadsBWaits();
    await timers.advance(10_000);
    assert.deepEqual(c.log, ['a+']);
    assert.equal(mem.lease?.spec?.holderIdentity, 'a');
    await a.stop();
    assert.equal(mem.lease?.spec?.holderIdentity, '');
    assert.deepEqual(c.log, ['a+', 'a-']);
    await timers.advance(2_000);
    assert.deepEqual(c.log, ['a+', 'a-', 'b+']);
    assert.equal(c.bothLeading, false);
    await b.stop();
  });

  test('a leader that cannot renew stops acting at the renew deadline, before anyone else may take over', async () => {
    const { timers, mem, c, a, b } = await aLeadsBWaits();
    await timers.advance(4_000);
    c.partitioned.add('a');
    const cutAt = timers.now();
    // Walk in small steps so the order of the two transitions is observed exactly.
    let aStoppedAt = -1;
    let bStartedAt = -1;
    for (let t = 0; t < 30_000; t += 250) {
      await timers.advance(250);
      if (aStoppedAt < 0 && c.log.includes('a-')) aStoppedAt = timers.now() - cutAt;
      if (bStartedAt < 0 && c.log.includes('b+')) bStartedAt = timers.now() - cutAt;
    }
    assert.deepEqual(c.log, ['a+', 'a-', 'b+']);
    assert.ok(aStoppedAt <= 10_000, `a stopped ${aStoppedAt} ms after the cut, within renewDeadline`);
    assert.ok(bStartedAt >= 15_000 - 4_000, `b took over ${bStartedAt} ms after the cut`);
    assert.equal(c.bothLeading, false);
    assert.equal(mem.lease?.spec?.leaseTransitions, 1);
    c.partitioned.delete('a');
    await timers.advance(10_000);
    assert.equal(a.isLeader, false, 'a does not take back a lease b renews');
    await a.stop();
    await b.stop();
  });

  test('stop(false) stops acting but leaves the Lease to expire (work may still be in flight)', async () => {
    const { timers, mem, c, a, b } = await aLeadsBWaits();
    await timers.advance(2_000);
    await a.stop(false);
    assert.deepEqual(c.log, ['a+', 'a-']);
    assert.equal(mem.lease?.spec?.holderIdentity, 'a', 'not released');
    await timers.advance(12_000);
    assert.deepEqual(c.log, ['a+', 'a-'], 'b waits for the lease to expire');
    await timers.advance(6_000);
    assert.deepEqual(c.log, ['a+', 'a-', 'b+']);
    await b.stop();
  });

  test('rejects timings that cannot be safe', () => {
    const mem = new MemoryLease();
    assert.throws(
      () =>
        new LeaderElector(
          mem.store(() => false),
          {
            namespace: 'ops',
            name: 'x',
            identity: 'a',
            leaseDurationMs: 10_000,
            renewDeadlineMs: 10_000,
            onStartedLeading: () => {},
            onStoppedLeading: () => {},
          },
        ),
      /leaseDuration > renewDeadline > retryPeriod/,
    );
  });
});
