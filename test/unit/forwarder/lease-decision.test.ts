import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decide, leaseName } from '../../../forwarder/lease/decision.ts';

test('lease name hashes the key id (stable, DNS-safe, not the key itself)', () => {
  const name = leaseName('PKTESTKEYID0001');
  assert.equal(name, leaseName('PKTESTKEYID0001'));
  assert.notEqual(name, leaseName('PKTESTKEYID0002'));
  assert.match(name, /^alpaca-forwarder-[0-9a-f]{16}$/);
  assert.ok(!name.includes('PKTEST'));
});

test('lease decisions: create, renew own, take expired or released, wait for a live holder', () => {
  const now = 1_000_000;
  assert.equal(decide(null, 'me', now), 'create');
  assert.equal(decide({ holder: 'me', durationSeconds: 15, renewMs: now - 1000 }, 'me', now), 'renew');
  assert.equal(decide({ holder: 'other', durationSeconds: 15, renewMs: now - 1000 }, 'me', now), 'wait');
  assert.equal(decide({ holder: 'other', durationSeconds: 15, renewMs: now - 15_000 }, 'me', now), 'take');
  assert.equal(decide({ holder: null, durationSeconds: 15, renewMs: now }, 'me', now), 'take');
  assert.equal(decide({ holder: 'other', durationSeconds: 15, renewMs: null }, 'me', now), 'take');
});
