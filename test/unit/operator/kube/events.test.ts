import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { EventsV1Event } from '@kubernetes/client-node';
import { EventRecorder, type EventSink } from '../../../../operator/kube/events.ts';
import { FakeTimers } from '../../../support/fake-timers.ts';

const target = {
  apiVersion: 'torghut.io/v1alpha1',
  kind: 'AlpacaForwarder',
  namespace: 'ns',
  name: 'af',
  uid: 'u1',
};

function sink() {
  const created: EventsV1Event[] = [];
  const patches: Array<{ name: string; patch: { series?: { count: number } } }> = [];
  let fail = false;
  const s: EventSink = {
    create: async (_ns, e) => {
      if (fail) throw new Error('api down');
      created.push(e);
    },
    patch: async (_ns, name, patch) => {
      if (fail) throw new Error('api down');
      patches.push({ name, patch: patch as { series?: { count: number } } });
    },
  };
  return {
    s,
    created,
    patches,
    setFail(v: boolean) {
      fail = v;
    },
  };
}

describe('EventRecorder', () => {
  test('identical events aggregate into one Event with a series count; distinct ones do not', async () => {
    const timers = new FakeTimers();
    const k = sink();
    const errors: unknown[] = [];
    const r = new EventRecorder(k.s, {
      reportingController: 'torghut.io/alpaca-forwarder-operator',
      reportingInstance: 'op-1',
      timers,
      minIntervalMs: 1000,
      seriesWindowMs: 60_000,
      onError: (e) => errors.push(e),
    });
    const degraded = { type: 'Warning', reason: 'Degraded', action: 'Probe', note: 'kafka_auth' } as const;
    await r.record(target, degraded);
    await r.record(target, degraded);
    await timers.advance(1000);
    await r.record(target, degraded);
    await r.record(target, { ...degraded, note: 'kafka_metadata' });
    assert.equal(k.created.length, 2);
    assert.equal(k.created[0]?.reportingController, 'torghut.io/alpaca-forwarder-operator');
    assert.equal(k.created[0]?.regarding?.uid, 'u1');
    assert.equal(k.patches.length, 1, 'the repeat within minInterval is folded into the next write');
    assert.equal(k.patches[0]?.name, k.created[0]?.metadata?.name);
    assert.equal(k.patches[0]?.patch.series?.count, 3);
    await timers.advance(60_000);
    await r.record(target, degraded);
    assert.equal(k.created.length, 3, 'a new series after the window');
    assert.deepEqual(errors, []);
  });

  test('a failed write is reported, never thrown, and the next one starts afresh', async () => {
    const timers = new FakeTimers();
    const k = sink();
    const errors: unknown[] = [];
    const r = new EventRecorder(k.s, {
      reportingController: 'c',
      reportingInstance: 'i',
      timers,
      onError: (e) => errors.push(e),
    });
    k.setFail(true);
    await r.record(target, { type: 'Normal', reason: 'RestartTriggered', action: 'Restart', note: 'n' });
    k.setFail(false);
    await r.record(target, { type: 'Normal', reason: 'RestartTriggered', action: 'Restart', note: 'n' });
    assert.equal(errors.length, 1);
    assert.equal(k.created.length, 1);
  });
});
