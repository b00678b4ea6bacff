/**
 * The 406 restart policy driven through time with an explicit clock: exactly one restart once
 * the error has held for stuckAfterSeconds, a second only after the cooldown, none beyond the
 * hourly budget (then stalled), never during a rollout, never for alpaca_auth.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CONNECTION_LIMIT_CLASS,
  decideRestart,
  type RestartBookkeeping,
  type RestartDecision,
  type RestartPolicyInput,
} from '../../../../operator/policy/restart.ts';
import { forwarder } from '../../../support/operator-fixtures.ts';

const POLICY = forwarder().spec.restartPolicy.on406; // defaults: enabled, 180 s, 3/h, cooldown 600 s
const T0 = Date.parse('2026-11-02T14:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000);

function input(over: Partial<RestartPolicyInput>): RestartPolicyInput {
  return {
    policy: POLICY,
    errorClass: CONNECTION_LIMIT_CLASS,
    errorSince: at(0).toISOString(),
    restarts: undefined,
    rolloutInProgress: false,
    now: at(0),
    ...over,
  };
}

describe('decideRestart', () => {
  test('the defaults are the design values', () => {
    assert.deepEqual(POLICY, {
      enabled: true,
      stuckAfterSeconds: 180,
      maxRestartsPerHour: 3,
      cooldownSeconds: 600,
    });
  });

  test('waits until the 406 has held for stuckAfterSeconds, then restarts exactly once', () => {
    const early = decideRestart(input({ now: at(179) }));
    assert.deepEqual(early, { action: 'wait', requeueAfterMs: 1000, why: 'not_stuck_long_enough' });
    const due = decideRestart(input({ now: at(180) }));
    assert.equal(due.action, 'restart');
    assert.equal(due.restartedAt, at(180).toISOString());
    assert.deepEqual(due.restarts, {
      count: 1,
      lastRestartTime: at(180).toISOString(),
      lastReason: 'alpaca_406_second_connection held for 180 s',
      windowStart: at(180).toISOString(),
      windowCount: 1,
      restartedAt: at(180).toISOString(),
    });
    // The next reconcile sees the recorded restart: no second restart.
    const again = decideRestart(input({ now: at(181), restarts: due.restarts }));
    assert.equal(again.action, 'wait');
  });

  test('never restarts during a rollout', () => {
    assert.deepEqual(decideRestart(input({ now: at(10_000), rolloutInProgress: true })), {
      action: 'wait',
      requeueAfterMs: 10_000,
      why: 'rollout',
    });
  });

  test('only alpaca_406_second_connection restarts: alpaca_auth and healthy never do, nor a disabled policy', () => {
    for (const errorClass of ['alpaca_auth', 'kafka_auth', 'kafka_produce', 'unknown', undefined]) {
      assert.deepEqual(decideRestart(input({ errorClass, now: at(100_000) })), { action: 'none' });
    }
    assert.deepEqual(decideRestart(input({ policy: { ...POLICY, enabled: false }, now: at(100_000) })), {
      action: 'none',
    });
  });

  test('406 held for hours: one restart, a second only after the cooldown, none beyond the budget, then stalled', () => {
    // Simulate a reconcile every 5 s for 2 hours with the 406 never clearing (another client holds
    // the connection). Status bookkeeping is fed back exactly as the operator would write it.
    let restarts: RestartBookkeeping | undefined;
    const restartTimes: number[] = [];
    const decisions: RestartDecision['action'][] = [];
    let firstStalledAt: number | undefined;
    for (let s = 0; s <= 7200; s += 5) {
      const d = decideRestart(input({ now: at(s), restarts }));
      decisions.push(d.action);
      if (d.action === 'restart') {
        restarts = d.restarts;
        restartTimes.push(s);
      }
      if (d.action === 'stalled') {
        firstStalledAt ??= s;
        assert.match(d.message, /Another client holds this account's Alpaca stream connection/);
        assert.ok(d.requeueAfterMs > 0);
      }
    }
    // First at 180 s (stuck), then every cooldown (600 s) until the budget of 3 in the hour is spent;
    // the window opened at 180 s, so the next restart comes when it closes at 3780 s, and so on.
    assert.deepEqual(restartTimes, [180, 780, 1380, 3780, 4380, 4980]);
    // Stalled as soon as the 406 has held stuckAfterSeconds past the last restart the budget allows.
    assert.equal(firstStalledAt, 1380 + 180);
    assert.ok(decisions.includes('stalled'));
    assert.equal(restarts?.count, 6);
    for (let i = 1; i < restartTimes.length; i++) {
      assert.ok((restartTimes[i] ?? 0) - (restartTimes[i - 1] ?? 0) >= POLICY.cooldownSeconds);
    }
    // No more than maxRestartsPerHour in any window that begins at a restart.
    for (const start of restartTimes) {
      const inHour = restartTimes.filter((t) => t >= start && t < start + 3600).length;
      assert.ok(inHour <= 3, `${inHour} restarts in the hour from ${start}`);
    }
  });

  test('a pod that comes back healthy resets nothing but needs the full stuck time again', () => {
    const first = decideRestart(input({ now: at(180) }));
    assert.equal(first.action, 'restart');
    // The 406 cleared after the restart and came back at 2000 s: errorSince is new.
    const later = decideRestart(
      input({ errorSince: at(2000).toISOString(), now: at(2100), restarts: first.restarts }),
    );
    assert.deepEqual(later, { action: 'wait', requeueAfterMs: 80_000, why: 'not_stuck_long_enough' });
    assert.equal(
      decideRestart(input({ errorSince: at(2000).toISOString(), now: at(2180), restarts: first.restarts }))
        .action,
      'restart',
    );
  });

  test('maxRestartsPerHour 0 means stalled instead of restarting', () => {
    const d = decideRestart(input({ policy: { ...POLICY, maxRestartsPerHour: 0 }, now: at(200) }));
    assert.equal(d.action, 'stalled');
  });
});
