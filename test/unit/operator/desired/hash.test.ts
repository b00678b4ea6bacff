/**
 * Hash stability: canonical JSON ignores key order, the Secret hash ignores read order and never
 * contains a value, and the hashes of a fixed resource are pinned so that an operator upgrade that
 * changes them (and so rolls every forwarder pod) is a deliberate, reviewed change.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configHash, renderConfigFile } from '../../../../operator/desired/config-file.ts';
import { canonicalJson, keyIdHash, secretHash } from '../../../../operator/desired/hash.ts';
import { forwarder, SECRET_VALUES, SETTINGS } from '../../../support/operator-fixtures.ts';

test('canonicalJson sorts keys at every level and drops undefined members', () => {
  assert.equal(
    canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: undefined } }),
    '{"a":{"d":[2,{"e":0,"f":1}]},"b":1}',
  );
  assert.equal(canonicalJson({ x: 1, y: 2 }), canonicalJson({ y: 2, x: 1 }));
});

test('secretHash does not depend on read order and changes when any value changes', () => {
  const a = { secret: 'alpaca-creds', key: 'APCA_API_KEY_ID', value: Buffer.from(SECRET_VALUES.keyId) };
  const b = {
    secret: 'alpaca-creds',
    key: 'APCA_API_SECRET_KEY',
    value: Buffer.from(SECRET_VALUES.secretKey),
  };
  assert.equal(secretHash([a, b]), secretHash([b, a]));
  assert.notEqual(secretHash([a, b]), secretHash([a, { ...b, value: Buffer.from('rotated') }]));
  assert.match(secretHash([a, b]), /^[0-9a-f]{16}$/);
});

test('pinned hashes for the fixture resource (a change here rolls every forwarder pod on upgrade)', () => {
  const hash = configHash(renderConfigFile(forwarder(), SETTINGS));
  assert.equal(hash, configHash(renderConfigFile(forwarder(), SETTINGS)));
  assert.equal(hash, PINNED_CONFIG_HASH);
  assert.equal(keyIdHash(SECRET_VALUES.keyId), PINNED_KEY_ID_HASH);
});

const PINNED_CONFIG_HASH = '4509527b7381b421';
const PINNED_KEY_ID_HASH = 'e9ba8f16c1794703';
