/**
 * operator/topics/lazy-admin.ts: the Kafka Admin implementation is loaded on an admin's first
 * method call, once for every admin after it, again after a failed load; an admin that was never
 * used closes without loading anything.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AdminConnection, TopicAdmin, TopicAdminFactory } from '../../../../operator/topics/admin.ts';
import type { DesiredTopic } from '../../../../operator/topics/desired.ts';
import { lazyTopicAdmin } from '../../../../operator/topics/lazy-admin.ts';

const CONN: AdminConnection = { brokers: ['b:9092'], clientId: 'op', securityProtocol: 'PLAINTEXT' };

function recording() {
  const calls: string[] = [];
  const factory: TopicAdminFactory = (c): TopicAdmin => {
    calls.push(`new ${c.brokers.join(',')}`);
    return {
      describe: async (names) => {
        calls.push(`describe ${names.join(',')}`);
        return new Map();
      },
      create: async (t) => {
        calls.push(`create ${t.name}`);
        return true;
      },
      close: async () => {
        calls.push('close');
      },
    };
  };
  return { calls, factory };
}

test('loads on the first method call, once for all admins; each admin is made once and closed', async () => {
  const { calls, factory } = recording();
  let loads = 0;
  const lazy = lazyTopicAdmin(async () => {
    loads++;
    return factory;
  });
  const a = lazy(CONN);
  assert.equal(loads, 0, 'making an admin loads nothing');
  await a.describe(['t1']);
  await a.create({ name: 't1' } as DesiredTopic);
  await a.close();
  const b = lazy(CONN);
  await b.describe(['t2']);
  await b.close();
  assert.equal(loads, 1);
  assert.deepEqual(calls, [
    'new b:9092',
    'describe t1',
    'create t1',
    'close',
    'new b:9092',
    'describe t2',
    'close',
  ]);
});

test('an admin never used closes without loading; a failed load is retried on the next call', async () => {
  const { calls, factory } = recording();
  let loads = 0;
  const lazy = lazyTopicAdmin(async () => {
    loads++;
    if (loads === 1) throw new Error('cannot load');
    return factory;
  });
  await lazy(CONN).close();
  assert.equal(loads, 0);
  await assert.rejects(lazy(CONN).describe(['t']), /cannot load/);
  await lazy(CONN).describe(['t']);
  assert.equal(loads, 2);
  assert.deepEqual(calls, ['new b:9092', 'describe t']);
});
