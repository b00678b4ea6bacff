import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readinessBodySchema } from '../../../../contracts/readiness.ts';
import type { ReadinessState } from '../../../../forwarder/health/readiness.ts';
import { leaseNameForKeyId } from '../../../../forwarder/lease/name.ts';
import { applyLease } from '../../../../forwarder/lease/readiness.ts';
import type { LeaseStatus } from '../../../../lib/lease/elector.ts';

const ready: ReadinessState = {
  ready: true,
  error_class: null,
  reason: null,
  gates: { alpaca_ws: true, kafka: true, trade_updates: true },
  detail: { failing_gates: [] },
};

function status(phase: LeaseStatus['phase'], extra: Partial<LeaseStatus> = {}): LeaseStatus {
  return { phase, holder: null, sinceMs: Date.UTC(2026, 0, 5), error: null, lastRenewMs: null, ...extra };
}

const NAME = 'alpaca-forwarder-0123456789abcdef';

test('lease name: stable, DNS-safe hash of the key id, never the key id', () => {
  const name = leaseNameForKeyId('PKTESTKEYID0001');
  assert.equal(name, leaseNameForKeyId('PKTESTKEYID0001'));
  assert.notEqual(name, leaseNameForKeyId('PKTESTKEYID0002'));
  assert.match(name, /^alpaca-forwarder-[0-9a-f]{16}$/);
  assert.ok(!name.includes('PKTEST'));
  // Pinned: the operator scopes the forwarder Role to this name; changing it breaks that.
  assert.equal(leaseNameForKeyId('PKTESTKEYID0001'), 'alpaca-forwarder-70d94753296fbb8f');
});

test('held by another process: not ready, Alpaca gates false, reason lease_held_by_other, class unknown', () => {
  const s = applyLease(ready, status('held_by_other', { holder: 'af-demo-forwarder-abc' }), NAME);
  assert.equal(s.ready, false);
  assert.equal(s.error_class, 'unknown');
  assert.equal(s.reason, 'lease_held_by_other');
  assert.deepEqual(s.gates, { alpaca_ws: false, kafka: true, trade_updates: false });
  assert.deepEqual(s.detail.lease, {
    enabled: true,
    name: NAME,
    held: false,
    phase: 'held_by_other',
    holder: 'af-demo-forwarder-abc',
    since: '2026-01-05T00:00:00.000Z',
    last_renew: null,
    error: null,
  });
  readinessBodySchema.parse({ ...s, since: '2026-01-05T00:00:00.000Z' });
});

test('API failure: lease_unavailable with the error code in detail; first attempt: lease_acquiring, class null', () => {
  const u = applyLease(ready, status('unavailable', { error: 'http_403' }), NAME);
  assert.equal(u.reason, 'lease_unavailable');
  assert.equal(u.error_class, 'unknown');
  assert.equal((u.detail.lease as { error: string }).error, 'http_403');
  const a = applyLease(ready, status('acquiring'), NAME);
  assert.equal(a.reason, 'lease_acquiring');
  assert.equal(a.error_class, null);
  assert.equal(a.ready, false);
});

test('a failing Kafka gate with a specific class stays the headline', () => {
  const kafkaDown: ReadinessState = {
    ...ready,
    ready: false,
    error_class: 'kafka_auth',
    reason: 'kafka_sasl_failed',
    gates: { alpaca_ws: false, kafka: false, trade_updates: null },
  };
  const s = applyLease(kafkaDown, status('held_by_other', { holder: 'x' }), NAME);
  assert.equal(s.error_class, 'kafka_auth');
  assert.equal(s.reason, 'kafka_sasl_failed');
  assert.deepEqual(s.gates, { alpaca_ws: false, kafka: false, trade_updates: null });
});

test('held or disabled: readiness unchanged but for detail.lease', () => {
  const held = applyLease(
    ready,
    status('held', { holder: 'me', lastRenewMs: Date.UTC(2026, 0, 5, 0, 0, 2) }),
    NAME,
  );
  assert.equal(held.ready, true);
  assert.equal((held.detail.lease as { held: boolean }).held, true);
  const off = applyLease(ready, null, null);
  assert.equal(off.ready, true);
  assert.deepEqual(off.detail.lease, { enabled: false });
});
