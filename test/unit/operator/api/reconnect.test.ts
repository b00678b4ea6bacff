/**
 * spec.reconnect's 406 back-off: after406Ms is the family's unit; the deprecated after406Seconds
 * is read only when after406Ms is unset; unset both → Alpaca's 90 s window. The rendered config
 * file carries the same value.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configFileSchema } from '../../../../contracts/config-file.ts';
import { after406Ms, DEFAULT_AFTER_406_MS } from '../../../../operator/api/reconnect.ts';
import { renderConfigFile } from '../../../../operator/desired/config-file.ts';
import { forwarder, SETTINGS } from '../../../support/operator-fixtures.ts';

test('after406Ms wins, after406Seconds is read in ms when it is the only one, 90 000 when neither is set', () => {
  assert.equal(after406Ms({ after406Ms: 120_000 }), 120_000);
  assert.equal(after406Ms({ after406Seconds: 150 }), 150_000);
  assert.equal(after406Ms({}), 90_000);
  assert.equal(DEFAULT_AFTER_406_MS, 90_000);
});

test('the config file gets cooldown406Ms from either spelling, and the default when neither is set', () => {
  const cooldown = (reconnect: Record<string, number>): number | undefined => {
    const af = forwarder({ spec: { reconnect } });
    const file = renderConfigFile(af, SETTINGS);
    assert.ok(configFileSchema.safeParse(file).success);
    return file.reconnect?.cooldown406Ms;
  };
  assert.equal(cooldown({ after406Ms: 95_000 }), 95_000);
  assert.equal(cooldown({ after406Seconds: 100 }), 100_000);
  assert.equal(cooldown({}), 90_000);
});
