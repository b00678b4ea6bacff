import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GroupIndex } from '../../../../operator/controller/group-index.ts';

interface Pod {
  name: string;
  owner?: string;
  phase?: string;
}

const index = () =>
  new GroupIndex<Pod>(
    (p) => p.name,
    (p) => p.owner,
  );

describe('GroupIndex', () => {
  test('groups objects by their group key; an upsert replaces the object in place', () => {
    const i = index();
    i.upsert({ name: 'a-1', owner: 'a' });
    i.upsert({ name: 'a-2', owner: 'a' });
    i.upsert({ name: 'b-1', owner: 'b' });
    i.upsert({ name: 'a-1', owner: 'a', phase: 'Running' });
    assert.deepEqual(i.get('a'), [
      { name: 'a-1', owner: 'a', phase: 'Running' },
      { name: 'a-2', owner: 'a' },
    ]);
    assert.deepEqual(i.get('b'), [{ name: 'b-1', owner: 'b' }]);
    assert.deepEqual(i.get('c'), []);
    assert.equal(i.size, 3);
  });

  test('an object whose group key changes or goes away moves out of its old group', () => {
    const i = index();
    i.upsert({ name: 'p', owner: 'a' });
    i.upsert({ name: 'p', owner: 'b' });
    assert.deepEqual(i.get('a'), []);
    assert.deepEqual(i.get('b'), [{ name: 'p', owner: 'b' }]);
    i.upsert({ name: 'p' });
    assert.deepEqual(i.get('b'), []);
    assert.equal(i.size, 0);
  });

  test('delete removes the object whatever the deleted copy says about its group', () => {
    const i = index();
    i.upsert({ name: 'p', owner: 'a' });
    i.upsert({ name: 'q', owner: 'a' });
    i.delete({ name: 'p', owner: 'stale' });
    assert.deepEqual(i.get('a'), [{ name: 'q', owner: 'a' }]);
    i.delete({ name: 'q' });
    i.delete({ name: 'never-seen', owner: 'a' });
    assert.deepEqual(i.get('a'), []);
    assert.equal(i.size, 0);
  });
});
