import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { LeaseElector } from '../../../../lib/lease/elector.ts';
import type { LeaseObject } from '../../../../lib/lease/lease-object.ts';
import { KubeError } from '../../../../operator/kube/errors.ts';
import { type LeaseApi, operatorLeaseStore } from '../../../../operator/kube/lease-store.ts';
import { asClock } from '../../../../operator/kube/timers.ts';
import { FakeTimers } from '../../../support/fake-timers.ts';

/**
 * The operator's leader election: the shared Lease elector (lib/lease/) on the operator's Lease
 * store (operator/kube/lease-store.ts) with the operator's default timings (15 s / 10 s / 2 s).
 */
const timings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

/** One Lease in memory with resourceVersion preconditions, like the API server. */
class MemoryLease {
  lease: LeaseObject | undefined;
  rv = 0;
  api(partitioned: () => boolean): LeaseApi {
    const check = () => {
      if (partitioned()) throw new KubeError('Network', 0, 'connect ECONNREFUSED');
    };
    return {
      getLease: async () => {
        check();
        return this.lease === undefined ? undefined : structuredClone(this.lease);
      },
      createLease: async (_ns, l) => {
        check();
        if (this.lease) throw new KubeError('Conflict', 409, 'exists');
        this.lease = {
          ...structuredClone(l),
          metadata: { ...l.metadata, resourceVersion: String(++this.rv) },
        };
        return structuredClone(this.lease);
      },
      replaceLease: async (_ns, l) => {
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

function specOf() {
  return {
    holderIdentity: 'a',
    leaseDurationSeconds: 15,
    acquireTimeMs: 1,
    renewTimeMs: 1,
    leaseTransitions: 0,
  };
}

function candidates(timers: FakeTimers, mem: MemoryLease) {
  const leading = new Set<string>();
  let bothLeading = false;
  const log: string[] = [];
  const partitioned = new Set<string>();
  const make = (id: string) =>
    new LeaseElector(
      operatorLeaseStore(
        mem.api(() => partitioned.has(id)),
        'ops',
        'alpaca-forwarder-operator',
      ),
      {
        identity: id,
        subject: 'leader lease',
        timings,
        clock: asClock(timers),
        logger: pino({ level: 'silent' }),
        onAcquired: () => {
          leading.add(id);
          if (leading.size > 1) bothLeading = true;
          log.push(`${id}+`);
        },
        onLost: () => {
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

describe('operator leader Lease (shared elector, operator store)', () => {
  test('one of two candidates leads; release hands over without waiting for expiry', async () => {
    const { timers, mem, c, a, b } = await aLeadsBWaits();
    await timers.advance(10_000);
    assert.deepEqual(c.log, ['a+']);
    assert.equal(mem.lease?.spec?.holderIdentity, 'a');
    assert.match(
      String(mem.lease?.spec?.renewTime),
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/,
      'renewTime written as MicroTime (six fractional digits)',
    );
    // The runtime stops reconciling (drains) before it releases; release() itself calls no onLost.
    c.leading.delete('a');
    assert.equal(await a.release(), true);
    assert.equal(mem.lease?.spec?.holderIdentity, '', 'released: no holder');
    assert.equal(a.held, false);
    await timers.advance(2_000);
    assert.deepEqual(c.log, ['a+', 'b+']);
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
    assert.equal(a.held, false, 'a does not take back a lease b renews');
    await a.stop();
    await b.stop();
  });

  test('stop() without release stops renewing but leaves the Lease to expire (work may still be in flight)', async () => {
    const { timers, mem, c, a, b } = await aLeadsBWaits();
    await timers.advance(2_000);
    await a.stop();
    assert.equal(a.held, false);
    assert.equal(mem.lease?.spec?.holderIdentity, 'a', 'not released');
    await timers.advance(12_000);
    assert.deepEqual(c.log, ['a+'], 'b waits for the lease to expire');
    await timers.advance(6_000);
    assert.deepEqual(c.log, ['a+', 'b+']);
    await b.stop();
  });

  test('rejects timings that cannot be safe', () => {
    const mem = new MemoryLease();
    assert.throws(
      () =>
        new LeaseElector(
          operatorLeaseStore(
            mem.api(() => false),
            'ops',
            'x',
          ),
          {
            identity: 'a',
            subject: 'leader lease',
            timings: { leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 },
            clock: asClock(new FakeTimers()),
            logger: pino({ level: 'silent' }),
            onAcquired: () => {},
            onLost: () => {},
          },
        ),
      /leaseDuration > renewDeadline > retryPeriod/,
    );
  });

  test('the store maps the API server answers: 404 → none, 409 → a lost race, others → a coded failure', async () => {
    const fail = (e: Error) => async () => {
      throw e;
    };
    const api = (e: Error): LeaseApi => ({ getLease: fail(e), createLease: fail(e), replaceLease: fail(e) });
    const none = operatorLeaseStore({ ...api(new Error('x')), getLease: async () => undefined }, 'ops', 'l');
    assert.equal(await none.get(), undefined);
    const conflict = operatorLeaseStore(api(new KubeError('Conflict', 409, 'stale')), 'ops', 'l');
    await assert.rejects(conflict.replace('1', specOf()), { name: 'LeaseConflictError' });
    const forbidden = operatorLeaseStore(api(new KubeError('Forbidden', 403, 'no')), 'ops', 'l');
    await assert.rejects(forbidden.get(), { name: 'LeaseStoreError', code: 'http_403' });
    const down = operatorLeaseStore(api(new KubeError('Network', 0, 'connect ECONNREFUSED')), 'ops', 'l');
    await assert.rejects(down.create(specOf()), { name: 'LeaseStoreError', code: 'network' });
  });
});
