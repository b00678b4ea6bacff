import assert from 'node:assert/strict';
import { test } from 'node:test';

test('node version is 24', () => {
  assert.equal(process.versions.node.split('.')[0], '24');
});
