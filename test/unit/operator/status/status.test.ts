/**
 * Status computation: conditions from probe results and Deployment state, lastTransitionTime
 * only on flips, error tracking, restart bookkeeping, suspend, credentials in use, and Secret
 * problems, with messages that name Secrets but never contain their values.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ReadinessBody } from '../../../../contracts/readiness.ts';
import type { AlpacaForwarder, AlpacaForwarderStatus, Condition } from '../../../../operator/api/types.ts';
import { decideRestart } from '../../../../operator/policy/restart.ts';
import { computeStatus, type StatusInput } from '../../../../operator/status/compute.ts';
import { type DeploymentState, deploymentState } from '../../../../operator/status/deployment-state.ts';
import type { ProbeResult } from '../../../../operator/status/probe.ts';
import { forwarder, SECRET_VALUES } from '../../../support/operator-fixtures.ts';

const NOW = new Date('2026-11-02T14:00:00.000Z');
const STABLE: DeploymentState = {
  exists: true,
  rolloutInProgress: false,
  desiredReplicas: 1,
  readyReplicas: 1,
  progressDeadlineExceeded: false,
};

function body(over: Partial<ReadinessBody>): ProbeResult {
  const b: ReadinessBody = {
    ready: true,
    error_class: null,
    reason: null,
    gates: { alpaca_ws: true, kafka: true, trade_updates: null },
    since: '2026-11-02T13:00:00Z',
    detail: {},
    ...over,
  };
  return { kind: 'body', httpStatus: b.ready ? 200 : 503, body: b };
}

function run(af: AlpacaForwarder, over: Partial<StatusInput> = {}): AlpacaForwarderStatus {
  return computeStatus({
    af,
    now: NOW,
    probe: body({}),
    deployment: STABLE,
    credentials: { inUse: false },
    restart: { action: 'none' },
    ...over,
  });
}

function cond(status: AlpacaForwarderStatus, type: string): Condition {
  const c = status.conditions?.find((x) => x.type === type);
  assert.ok(c, `no ${type} condition`);
  return c;
}

describe('computeStatus', () => {
  test('symbolCount: the live count from /readyz symbol_count (symbolsFrom), kept while the probe fails', () => {
    const af = forwarder({ spec: { symbols: ['AAPL'], symbolsFrom: { url: 'https://lists.example/hot' } } });
    const live = run(af, { probe: body({ symbol_count: 42 }) });
    assert.equal(live.symbolCount, 42);
    const unreachable: ProbeResult = { kind: 'failed', error: 'timeout' };
    // No count seen yet: the static fallback list.
    assert.equal(run(af, { probe: unreachable }).symbolCount, 1);
    const withPrevious = forwarder({
      spec: { symbols: ['AAPL'], symbolsFrom: { url: 'https://lists.example/hot' } },
      status: live,
    });
    assert.equal(run(withPrevious, { probe: unreachable }).symbolCount, 42);
    // A forwarder without symbol_count (older body): spec.symbols, as before.
    assert.equal(run(forwarder()).symbolCount, 2);
  });

  test('probe 200 → Ready=True, Degraded=False, all four conditions with observedGeneration', () => {
    const s = run(forwarder({ generation: 7 }));
    assert.deepEqual(
      s.conditions?.map((c) => [c.type, c.status, c.reason]),
      [
        ['Ready', 'True', 'Streaming'],
        ['Progressing', 'False', 'RolloutComplete'],
        ['Degraded', 'False', 'AsExpected'],
        ['Stalled', 'False', 'AsExpected'],
      ],
    );
    for (const c of s.conditions ?? []) {
      assert.equal(c.observedGeneration, 7);
      assert.match(c.reason, /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/);
    }
    assert.equal(s.observedGeneration, 7);
    assert.deepEqual(s.gates, { alpacaWs: true, kafka: true });
    assert.equal(s.errorClass, undefined);
    assert.equal(s.lastProbeTime, NOW.toISOString());
    assert.equal(s.symbolCount, 2);
    assert.equal(s.suspended, false);
    assert.deepEqual(s.restarts, { count: 0 });
  });

  test('503 kafka_auth → Degraded reason kafka_auth, Ready False, errorClass and gates recorded', () => {
    const s = run(forwarder(), {
      probe: body({
        ready: false,
        error_class: 'kafka_auth',
        reason: 'kafka_sasl_authentication_failed',
        gates: { alpaca_ws: true, kafka: false, trade_updates: false },
      }),
    });
    assert.equal(cond(s, 'Degraded').status, 'True');
    assert.equal(cond(s, 'Degraded').reason, 'kafka_auth');
    assert.equal(cond(s, 'Ready').status, 'False');
    assert.equal(cond(s, 'Ready').reason, 'kafka_auth');
    assert.equal(s.errorClass, 'kafka_auth');
    assert.equal(s.probeReason, 'kafka_sasl_authentication_failed');
    assert.equal(s.errorSince, NOW.toISOString());
    assert.deepEqual(s.gates, { alpacaWs: true, kafka: false, tradeUpdates: false });
  });

  test('alpaca_auth → Degraded alpaca_auth naming the Secret (name and keys only, never a value)', () => {
    const s = run(forwarder(), {
      probe: body({ ready: false, error_class: 'alpaca_auth', reason: 'alpaca_402_auth_failed' }),
    });
    const degraded = cond(s, 'Degraded');
    assert.equal(degraded.reason, 'alpaca_auth');
    assert.match(degraded.message, /Secret torghut\/alpaca-creds/);
    assert.match(degraded.message, /APCA_API_KEY_ID/);
    const text = JSON.stringify(s);
    for (const secret of Object.values(SECRET_VALUES)) assert.ok(!text.includes(secret));
  });

  test('lastTransitionTime changes only when a condition flips; errorSince is kept while the class persists', () => {
    const first = run(forwarder(), { probe: body({ ready: false, error_class: 'kafka_produce' }) });
    const later = new Date(NOW.getTime() + 60_000);
    const second = run(forwarder({ status: first }), {
      now: later,
      probe: body({ ready: false, error_class: 'kafka_produce', reason: 'kafka_produce_timeout' }),
    });
    for (const type of ['Ready', 'Progressing', 'Degraded', 'Stalled']) {
      assert.equal(cond(second, type).lastTransitionTime, cond(first, type).lastTransitionTime, type);
    }
    assert.equal(second.errorSince, first.errorSince);
    assert.equal(second.lastProbeTime, later.toISOString());
    const healed = run(forwarder({ status: second }), { now: new Date(later.getTime() + 60_000) });
    assert.equal(cond(healed, 'Ready').status, 'True');
    assert.equal(cond(healed, 'Ready').lastTransitionTime, '2026-11-02T14:02:00Z');
    assert.equal(cond(healed, 'Stalled').lastTransitionTime, cond(first, 'Stalled').lastTransitionTime);
    assert.equal(healed.errorClass, undefined);
    assert.equal(healed.errorSince, undefined);
  });

  test('406 past stuckAfterSeconds: the restart is recorded (restartedAt kept for SSA), Progressing=Restarting', () => {
    const probe = body({
      ready: false,
      error_class: 'alpaca_406_second_connection',
      reason: 'alpaca_406_connection_limit',
    });
    const first = run(forwarder(), { probe });
    const later = new Date(NOW.getTime() + 181_000);
    const af = forwarder({ status: first });
    const restart = decideRestart({
      policy: af.spec.restartPolicy.on406,
      errorClass: first.errorClass,
      errorSince: first.errorSince,
      restarts: first.restarts,
      rolloutInProgress: false,
      now: later,
    });
    assert.equal(restart.action, 'restart');
    const s = run(af, { now: later, probe, restart });
    assert.equal(s.restarts?.count, 1);
    assert.equal(s.restarts?.restartedAt, later.toISOString());
    assert.equal(cond(s, 'Progressing').reason, 'Restarting');
    assert.equal(cond(s, 'Degraded').reason, 'alpaca_406_second_connection');
    // A later reconcile without a new restart keeps the bookkeeping (and so the annotation value).
    const kept = run(forwarder({ status: s }), { now: new Date(later.getTime() + 5000), probe });
    assert.deepEqual(kept.restarts, s.restarts);
  });

  test('budget spent → Stalled with the "another client holds the connection" message', () => {
    const message = "Another client holds this account's Alpaca stream connection: ...";
    const s = run(forwarder(), {
      probe: body({ ready: false, error_class: 'alpaca_406_second_connection' }),
      restart: { action: 'stalled', message, requeueAfterMs: 1000 },
    });
    assert.equal(cond(s, 'Stalled').status, 'True');
    assert.equal(cond(s, 'Stalled').reason, 'ConnectionHeldElsewhere');
    assert.equal(cond(s, 'Stalled').message, message);
    assert.equal(cond(s, 'Ready').reason, 'ConnectionHeldElsewhere');
  });

  test('suspend is reported: Ready False Suspended, no error tracking, suspended true', () => {
    const s = run(forwarder({ spec: { suspend: true } }), { probe: { kind: 'skipped' } });
    assert.equal(cond(s, 'Ready').reason, 'Suspended');
    assert.equal(cond(s, 'Stalled').status, 'False');
    assert.equal(s.suspended, true);
    assert.equal(s.errorClass, undefined);
  });

  test('credentials in use → Stalled CredentialsInUse naming the other resource', () => {
    const message = 'AlpacaForwarder torghut/equities already streams with the same Alpaca key id';
    const s = run(forwarder({ name: 'copy' }), {
      probe: { kind: 'skipped' },
      credentials: { inUse: true, holder: { namespace: 'torghut', name: 'equities' }, message },
    });
    assert.equal(cond(s, 'Stalled').reason, 'CredentialsInUse');
    assert.equal(cond(s, 'Stalled').status, 'True');
    assert.equal(cond(s, 'Ready').status, 'False');
    assert.match(cond(s, 'Ready').message, /torghut\/equities/);
  });

  test('a missing Secret key is Degraded naming Secret and key; a failed probe is Degraded Unknown', () => {
    const s = run(forwarder(), {
      probe: { kind: 'failed', error: 'connection refused' },
      secretProblem: { kind: 'key_missing', secret: 'alpaca-creds', key: 'APCA_API_SECRET_KEY' },
    });
    assert.equal(cond(s, 'Degraded').reason, 'SecretKeyMissing');
    assert.match(cond(s, 'Degraded').message, /Secret torghut\/alpaca-creds has no key APCA_API_SECRET_KEY/);
    const failed = run(forwarder(), { probe: { kind: 'failed', error: 'timeout after 2000 ms' } });
    assert.equal(cond(failed, 'Degraded').status, 'Unknown');
    assert.equal(cond(failed, 'Ready').reason, 'ProbeFailed');
    const rolling = run(forwarder(), {
      probe: { kind: 'skipped' },
      deployment: { ...STABLE, rolloutInProgress: true },
    });
    assert.equal(cond(rolling, 'Progressing').status, 'True');
    assert.equal(cond(rolling, 'Ready').reason, 'RollingOut');
  });

  test('not ready without an error class: Ready False with the forwarder reason when it is a valid condition reason', () => {
    const starting = run(forwarder(), { probe: body({ ready: false, reason: 'alpaca_connecting' }) });
    assert.equal(cond(starting, 'Ready').reason, 'alpaca_connecting');
    assert.equal(cond(starting, 'Degraded').status, 'False');
    const odd = run(forwarder(), { probe: body({ ready: false, reason: '9_starts_with_digit' }) });
    assert.equal(cond(odd, 'Ready').reason, 'NotReady');
  });

  test('leaseHolder is the pod name detail.lease.holder reports; absent without one, on a failed probe, or when malformed', () => {
    const lease = (holder: unknown) => body({ detail: { lease: { enabled: true, held: true, holder } } });
    assert.equal(
      run(forwarder(), { probe: lease('forwarder-7d9c-abcde') }).leaseHolder,
      'forwarder-7d9c-abcde',
    );
    const previous = run(forwarder(), { probe: lease('forwarder-7d9c-abcde') });
    const af = { ...forwarder(), status: previous };
    assert.equal(run(af, { probe: body({}) }).leaseHolder, undefined);
    assert.equal(run(af, { probe: { kind: 'failed', error: 'connection refused' } }).leaseHolder, undefined);
    assert.equal(run(af, { probe: lease(null) }).leaseHolder, undefined);
    assert.equal(run(af, { probe: lease('Not A Pod Name: secret=xyz') }).leaseHolder, undefined);
    assert.equal(run(af, { probe: body({ detail: { lease: 'held' } }) }).leaseHolder, undefined);
  });

  test('an invalid rendered config is Stalled InvalidSpec', () => {
    const s = run(forwarder(), { configError: 'streamUrl: Invalid URL' });
    assert.equal(cond(s, 'Stalled').reason, 'InvalidSpec');
    assert.match(cond(s, 'Stalled').message, /streamUrl/);
  });
});

describe('deploymentState', () => {
  test('rollout in progress follows generation and updated/total replicas, not readiness', () => {
    const d = (generation: number, status: Record<string, unknown>, replicas = 1) =>
      deploymentState({ metadata: { generation }, spec: { replicas, selector: {}, template: {} }, status });
    assert.equal(deploymentState(undefined).rolloutInProgress, true);
    assert.equal(d(2, { observedGeneration: 1, replicas: 1, updatedReplicas: 1 }).rolloutInProgress, true);
    assert.equal(d(2, { observedGeneration: 2, replicas: 0, updatedReplicas: 0 }).rolloutInProgress, true);
    // New pod exists but is not ready (stuck on 406): not a rollout, so the restart policy can act.
    const stuck = d(2, { observedGeneration: 2, replicas: 1, updatedReplicas: 1, readyReplicas: 0 });
    assert.equal(stuck.rolloutInProgress, false);
    assert.equal(stuck.readyReplicas, 0);
    assert.equal(d(2, { observedGeneration: 2 }, 0).rolloutInProgress, false);
    const deadline = d(2, {
      observedGeneration: 2,
      replicas: 1,
      updatedReplicas: 1,
      conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
    });
    assert.equal(deadline.progressDeadlineExceeded, true);
  });
});
