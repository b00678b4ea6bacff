/** When a child needs a server-side apply against its cached copy (pure). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  ANNOTATION_APPLIED_HASH,
  applyNeeded,
  contains,
  stampApplied,
} from '../../../../operator/controller/apply-needed.ts';

const intent = (extra: Record<string, unknown> = {}): KubernetesObject & Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'c', namespace: 'ns', labels: { a: '1' }, annotations: {} },
  data: { 'config.json': '{}' },
  ...extra,
});

/** What the server returns: the intent plus its own fields. */
const served = (o: KubernetesObject): KubernetesObject =>
  structuredClone({ ...o, metadata: { ...o.metadata, uid: 'u', resourceVersion: '5' } });

describe('apply needed', () => {
  test('the cached child matches: no apply; no cached child: apply', () => {
    const s = stampApplied(intent());
    assert.equal(applyNeeded(s, served(s)), false);
    assert.equal(applyNeeded(s, undefined), true);
  });

  test('the intent stopped sending a field: the hash differs, so apply (only an apply removes it)', () => {
    const before = stampApplied(intent({ binaryData: { b: 'AA==' } }));
    const now = stampApplied(intent());
    assert.equal(
      contains(served(intent({ binaryData: { b: 'AA==' } })), intent()),
      true,
      'a subset test alone would miss it',
    );
    assert.equal(applyNeeded(now, served(before)), true);
  });

  test('a field the intent sends was changed by someone else: apply', () => {
    const s = stampApplied(intent());
    const drifted = served(s) as KubernetesObject & { data: Record<string, string> };
    drifted.data['config.json'] = '{"x":1}';
    assert.equal(applyNeeded(s, drifted), true);
  });

  test('server defaults and fields of other managers do not count; an empty map matches an absent one', () => {
    const s = stampApplied(intent({ spec: { list: [{ name: 'x' }] } }));
    const cached = served(s) as KubernetesObject & { spec: { list: Array<Record<string, unknown>> } };
    cached.spec.list[0] = { name: 'x', defaulted: true };
    (cached.metadata as Record<string, unknown>).finalizers = ['other'];
    assert.ok(cached.metadata?.annotations?.[ANNOTATION_APPLIED_HASH]);
    assert.equal(applyNeeded(s, cached), false);
    assert.equal(contains({ metadata: {} }, { metadata: { annotations: {} } }), true);
    assert.equal(contains({ l: [1, 2] }, { l: [1] }), false, 'lists match element by element');
  });

  test('a child being deleted is applied again', () => {
    const s = stampApplied(intent());
    const c = served(s);
    c.metadata = { ...c.metadata, deletionTimestamp: new Date() };
    assert.equal(applyNeeded(s, c), true);
  });
});

test('model member names are compared under their wire names (NetworkPolicy `_from` is `from`)', () => {
  assert.equal(contains({ ingress: [{ from: [{ a: 1 }] }] }, { ingress: [{ _from: [{ a: 1 }] }] }), true);
  assert.equal(contains({ ingress: [{ from: [{ a: 2 }] }] }, { ingress: [{ _from: [{ a: 1 }] }] }), false);
});
