/**
 * The probe scheduler with a scripted probe and a fake clock: the pool bound, the interval, a
 * reconcile asked for only on a changed result, a new pod probed at once, untrack, stop.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ProbeOutcome, ProbeTarget, ReadinessProbe } from '../../../../operator/controller/probe.ts';
import { ProbeScheduler, probeSignature } from '../../../../operator/controller/probe-scheduler.ts';
import { FakeTimers } from '../../../support/fake-timers.ts';
import { failingBody, readyBody } from '../../../support/readiness-bodies.ts';

const target = (name: string, podIP = '10.0.0.1'): ProbeTarget => ({
  namespace: 'ns',
  name,
  serviceName: `${name}-forwarder`,
  podIP,
});
const refused: ProbeOutcome = { kind: 'unknown', reason: 'unreachable', detail: 'ECONNREFUSED' };

/** A probe whose answers the test releases by hand; records the most in flight at once. */
class HeldProbe implements ReadinessProbe {
  readonly pending: Array<{ target: ProbeTarget; resolve: (o: ProbeOutcome) => void }> = [];
  inFlight = 0;
  peak = 0;
  calls = 0;
  probe(t: ProbeTarget): Promise<ProbeOutcome> {
    this.calls++;
    this.inFlight++;
    this.peak = Math.max(this.peak, this.inFlight);
    return new Promise((resolve) =>
      this.pending.push({
        target: t,
        resolve: (o) => {
          this.inFlight--;
          resolve(o);
        },
      }),
    );
  }
  async releaseAll(o: ProbeOutcome): Promise<void> {
    for (const p of this.pending.splice(0)) p.resolve(o);
    await new Promise((r) => setImmediate(r));
  }
}

describe('probe scheduler', () => {
  test('at most `concurrency` probes in flight; the rest wait for a slot', async () => {
    const timers = new FakeTimers();
    const probe = new HeldProbe();
    const s = new ProbeScheduler({ probe, concurrency: 3, timers, onChange: () => {} });
    for (let i = 0; i < 10; i++) s.track(`ns/r${i}`, target(`r${i}`), 10_000);
    assert.equal(probe.inFlight, 3);
    assert.equal(s.waiting, 7);
    while (probe.pending.length > 0) await probe.releaseAll(refused);
    assert.equal(probe.calls, 10, 'every tracked resource probed once');
    assert.equal(probe.peak, 3);
    assert.equal(s.waiting, 0);
    s.stop();
  });

  test('a reconcile is asked for on the first result and on a change only; probes repeat every interval', async () => {
    const timers = new FakeTimers();
    const probe = new HeldProbe();
    const changed: string[] = [];
    const s = new ProbeScheduler({ probe, concurrency: 4, timers, onChange: (k) => changed.push(k) });
    s.track('ns/a', target('a'), 10_000);
    await probe.releaseAll(refused);
    assert.deepEqual(changed, ['ns/a']);
    assert.equal(s.latest('ns/a')?.outcome, refused);

    await timers.advance(9_999);
    assert.equal(probe.pending.length, 0, 'not before the interval');
    await timers.advance(1);
    assert.equal(probe.pending.length, 1);
    await probe.releaseAll({ ...refused });
    assert.deepEqual(changed, ['ns/a'], 'the same result: no reconcile');

    await timers.advance(10_000);
    const body = readyBody();
    await probe.releaseAll({ kind: 'reported', httpStatus: 200, body });
    assert.deepEqual(changed, ['ns/a', 'ns/a'], 'Ready now: a reconcile');

    await timers.advance(10_000);
    await probe.releaseAll({
      kind: 'reported',
      httpStatus: 200,
      body: { ...body, detail: { ...body.detail, counter: 42 } },
    });
    assert.equal(changed.length, 2, 'only the free-form detail changed: no reconcile');
    s.stop();
  });

  test('a new pod is probed at once; the same pod keeps its schedule; untrack stops probing', async () => {
    const timers = new FakeTimers();
    const probe = new HeldProbe();
    const s = new ProbeScheduler({ probe, concurrency: 4, timers, onChange: () => {} });
    s.track('ns/a', target('a', '10.0.0.1'), 10_000);
    await probe.releaseAll(refused);
    s.track('ns/a', target('a', '10.0.0.1'), 30_000);
    assert.equal(probe.pending.length, 0, 'same pod: no extra probe');
    s.track('ns/a', target('a', '10.0.0.2'), 30_000);
    assert.equal(probe.pending[0]?.target.podIP, '10.0.0.2', 'another pod: probed at once');
    assert.equal(s.latest('ns/a'), undefined, 'the old pod’s result is forgotten');
    await probe.releaseAll(refused);
    s.untrack('ns/a');
    await timers.advance(60_000);
    assert.equal(probe.pending.length, 0, 'untracked: no more probes');
    assert.equal(s.tracked, 0);
    s.stop();
  });

  test('the signature ignores only the free-form detail', () => {
    const a: ProbeOutcome = {
      kind: 'reported',
      httpStatus: 503,
      body: failingBody('alpaca_406_second_connection', null),
    };
    const b: ProbeOutcome = {
      kind: 'reported',
      httpStatus: 503,
      body: { ...failingBody('alpaca_auth', null) },
    };
    assert.notEqual(probeSignature(a), probeSignature(b));
    assert.equal(probeSignature(refused), probeSignature({ ...refused }));
  });

  test('a pod that does not answer is one result, timeout or connection error alike', () => {
    const timeout: ProbeOutcome = { kind: 'unknown', reason: 'timeout', detail: 'no answer within 1000 ms' };
    const unreachable: ProbeOutcome = { kind: 'unknown', reason: 'unreachable', detail: 'EHOSTUNREACH' };
    assert.equal(probeSignature(timeout), probeSignature(unreachable));
    assert.equal(probeSignature(refused), probeSignature(unreachable));
    const badBody: ProbeOutcome = { kind: 'unknown', reason: 'bad_body', detail: 'body is not JSON' };
    assert.notEqual(probeSignature(badBody), probeSignature(timeout), 'an answer of the wrong shape differs');
  });
});
