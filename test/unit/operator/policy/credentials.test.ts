/** One stream per Alpaca account: the oldest resource with a key id hash wins; documented tie-break. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keyIdHash } from '../../../../operator/desired/hash.ts';
import { type CredentialHolder, decideCredentialsInUse } from '../../../../operator/policy/credentials.ts';

const HASH = keyIdHash('PKTESTKEYID0000000001');

function holder(
  name: string,
  creationTimestamp: string,
  extra: Partial<CredentialHolder> = {},
): CredentialHolder {
  return { namespace: 'torghut', name, uid: `uid-${name}`, creationTimestamp, keyIdHash: HASH, ...extra };
}

test('a newer resource with the same key id is refused, naming the holder; the holder is not', () => {
  const old = holder('equities', '2026-11-01T10:00:00Z');
  const young = holder('equities-copy', '2026-11-02T10:00:00Z');
  const refused = decideCredentialsInUse(young, [old, young]);
  assert.equal(refused.inUse, true);
  assert.ok(refused.inUse);
  assert.deepEqual(refused.holder, { namespace: 'torghut', name: 'equities' });
  assert.match(refused.message, /torghut\/equities already streams with the same Alpaca key id/);
  assert.deepEqual(decideCredentialsInUse(old, [old, young]), { inUse: false });
});

test('same creation second: namespace/name order breaks the tie, so both resources agree', () => {
  const a = holder('alpha', '2026-11-01T10:00:00Z', { namespace: 'zeta' });
  const b = holder('beta', '2026-11-01T10:00:00Z', { namespace: 'alpha' });
  assert.deepEqual(decideCredentialsInUse(b, [a]), { inUse: false });
  const aDecision = decideCredentialsInUse(a, [b]);
  assert.ok(aDecision.inUse);
  assert.deepEqual(aDecision.holder, { namespace: 'alpha', name: 'beta' });
});

test('different keys, suspended or deleting rivals, and an unknown own hash never block', () => {
  const me = holder('me', '2026-11-03T00:00:00Z');
  const others = [
    holder('other-key', '2026-11-01T00:00:00Z', { keyIdHash: keyIdHash('PKOTHER') }),
    holder('suspended', '2026-11-01T00:00:00Z', { suspended: true }),
    holder('deleting', '2026-11-01T00:00:00Z', { deleting: true }),
    holder('unrecorded', '2026-11-01T00:00:00Z', { keyIdHash: undefined }),
  ];
  assert.deepEqual(decideCredentialsInUse(me, others), { inUse: false });
  assert.deepEqual(
    decideCredentialsInUse({ ...me, keyIdHash: undefined }, [holder('x', '2026-01-01T00:00:00Z')]),
    {
      inUse: false,
    },
  );
});

test('with several holders the oldest is named', () => {
  const me = holder('me', '2026-11-05T00:00:00Z');
  const d = decideCredentialsInUse(me, [
    holder('b', '2026-11-03T00:00:00Z'),
    holder('a', '2026-11-02T00:00:00Z'),
  ]);
  assert.ok(d.inUse);
  assert.equal(d.holder.name, 'a');
});

test('keyIdHash is stable, short and does not contain the key id', () => {
  assert.equal(HASH, keyIdHash('PKTESTKEYID0000000001'));
  assert.match(HASH, /^[0-9a-f]{16}$/);
  assert.notEqual(HASH, keyIdHash('PKTESTKEYID0000000002'));
});
