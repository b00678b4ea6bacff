/** optionalKind: one discovery call per TTL, the CRD installed later is picked up, a failed lookup keeps the last answer. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { optionalKind } from '../../../../operator/kube/discovery.ts';

test('asks discovery once per TTL, sees a CRD installed later, keeps the last answer when discovery fails', async () => {
  let now = 0;
  const answers: Array<boolean | Error> = [false, true, new Error('apiserver down')];
  let calls = 0;
  const errors: unknown[] = [];
  const kind = optionalKind(
    async () => {
      const a = answers[calls++];
      if (a instanceof Error) throw a;
      return a ?? false;
    },
    { now: () => now },
    { ttlMs: 1000, onError: (e) => errors.push(e) },
  );
  assert.deepEqual(await Promise.all([kind.served(), kind.served()]), [false, false], 'one call in flight');
  assert.equal(calls, 1);
  now = 999;
  assert.equal(await kind.served(), false, 'cached within the TTL');
  assert.equal(calls, 1);
  now = 1000;
  assert.equal(await kind.served(), true, 'CRD installed meanwhile');
  now = 2000;
  assert.equal(await kind.served(), true, 'discovery failed: last answer kept');
  assert.equal(calls, 3);
  assert.equal(errors.length, 1);
});
