import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ERROR_CLASSES } from '../../../../contracts/readiness.ts';
import {
  classifyAlpacaError,
  classifyClose,
  classifyUpgradeFailure,
} from '../../../../forwarder/alpaca/error-classification.ts';

test('Alpaca stream error codes map to error class, stable reason and retry kind', () => {
  const expected: [number, string, string, string][] = [
    [400, 'unknown', 'alpaca_400_invalid_syntax', 'degrade'],
    [401, 'alpaca_auth', 'alpaca_401_not_authenticated', 'transient'],
    [402, 'alpaca_auth', 'alpaca_402_auth_failed', 'permanent'],
    [403, 'alpaca_auth', 'alpaca_403_already_authenticated', 'transient'],
    [404, 'unknown', 'alpaca_404_auth_timeout', 'transient'],
    [405, 'unknown', 'alpaca_405_symbol_limit', 'degrade'],
    [406, 'alpaca_406_second_connection', 'alpaca_406_connection_limit', 'cooldown_406'],
    [407, 'unknown', 'alpaca_407_slow_client', 'transient'],
    [409, 'alpaca_auth', 'alpaca_409_insufficient_subscription', 'permanent'],
    [410, 'unknown', 'alpaca_410_invalid_subscribe_action', 'degrade'],
    [500, 'unknown', 'alpaca_500_internal_error', 'transient'],
    [499, 'unknown', 'alpaca_error_499', 'transient'],
    [-3, 'unknown', 'alpaca_error_invalid', 'transient'],
  ];
  for (const [code, errorClass, reason, retry] of expected) {
    assert.deepEqual(classifyAlpacaError(code), { errorClass, reason, retry }, `code ${code}`);
  }
});

test('upgrade failures: 401/403 auth (permanent), 406 cool-down, 429 and 5xx transient', () => {
  assert.deepEqual(classifyUpgradeFailure(401), {
    errorClass: 'alpaca_auth',
    reason: 'alpaca_http_401',
    retry: 'permanent',
  });
  assert.equal(classifyUpgradeFailure(403).errorClass, 'alpaca_auth');
  assert.equal(classifyUpgradeFailure(406).retry, 'cooldown_406');
  assert.deepEqual(classifyUpgradeFailure(429), {
    errorClass: 'unknown',
    reason: 'alpaca_http_429_rate_limited',
    retry: 'transient',
  });
  assert.deepEqual(classifyUpgradeFailure(503), {
    errorClass: 'unknown',
    reason: 'alpaca_http_503',
    retry: 'transient',
  });
  assert.equal(classifyUpgradeFailure(404).retry, 'permanent');
});

test('close codes give a stable reason; every class is in the readiness contract and every reason is a valid code', () => {
  assert.equal(classifyClose(1006).reason, 'alpaca_ws_closed_1006');
  assert.equal(classifyClose(0).reason, 'alpaca_ws_closed_unknown');
  const all = [
    ...[400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 500, 999].map(
      classifyAlpacaError,
    ),
    ...[401, 403, 404, 406, 429, 500, 502, 418, 0].map(classifyUpgradeFailure),
    ...[1000, 1001, 1006, 1011, 4000].map(classifyClose),
  ];
  for (const c of all) {
    assert.ok((ERROR_CLASSES as readonly string[]).includes(c.errorClass), c.reason);
    assert.match(c.reason, /^[a-z0-9_]{1,64}$/);
  }
});
