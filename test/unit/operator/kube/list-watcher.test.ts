import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  type ListResult,
  ListWatcher,
  type RestartReason,
  type WatchEvent,
  type WatchSource,
} from '../../../../operator/kube/list-watcher.ts';
import { FakeTimers, flush } from '../../../support/fake-timers.ts';

const obj = (name: string, rv: string): KubernetesObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { namespace: 'ns', name, resourceVersion: rv },
});

/** A scripted API: the test sets what list returns and drives each watch by hand. */
class FakeSource implements WatchSource<KubernetesObject> {
  listResults: Array<ListResult<KubernetesObject> | Error> = [];
  lists = 0;
  watches: Array<{
    rv: string;
    emit: (e: WatchEvent<KubernetesObject>) => void;
    done: (err?: unknown) => void;
    stopped: boolean;
  }> = [];
  watchFailures: unknown[] = [];

  async list(): Promise<ListResult<KubernetesObject>> {
    this.lists++;
    const r = this.listResults.shift();
    if (r === undefined) throw new Error('no list scripted');
    if (r instanceof Error) throw r;
    return r;
  }

  async watch(
    rv: string,
    onEvent: (e: WatchEvent<KubernetesObject>) => void,
    onDone: (err?: unknown) => void,
  ) {
    const fail = this.watchFailures.shift();
    if (fail !== undefined) throw fail;
    const w = { rv, emit: onEvent, done: onDone, stopped: false };
    this.watches.push(w);
    return {
      stop: () => {
        w.stopped = true;
      },
    };
  }

  get last() {
    const w = this.watches.at(-1);
    assert.ok(w, 'a watch is running');
    return w;
  }
}

function setup(opts: { watchdogMs?: number; resyncMs?: number } = {}) {
  const timers = new FakeTimers();
  const source = new FakeSource();
  const upserts: string[] = [];
  const deletes: string[] = [];
  const restarts: RestartReason[] = [];
  const lw = new ListWatcher(
    source,
    {
      onUpsert: (o) => upserts.push(`${o.metadata?.name}@${o.metadata?.resourceVersion}`),
      onDelete: (o) => deletes.push(`${o.metadata?.name}`),
    },
    {
      name: 'configmaps',
      timers,
      backoffBaseMs: 100,
      backoffMaxMs: 400,
      watchdogMs: opts.watchdogMs ?? 60_000,
      resyncMs: opts.resyncMs ?? 3_600_000,
      onRestart: (r) => restarts.push(r),
    },
  );
  return { timers, source, upserts, deletes, restarts, lw };
}

describe('ListWatcher', () => {
  test('lists, then watches from the list resourceVersion and applies events to the cache', async () => {
    const { source, upserts, deletes, lw } = setup();
    source.listResults.push({ items: [obj('a', '5'), obj('b', '6')], resourceVersion: '10' });
    lw.start();
    await lw.waitForSync();
    await flush();
    assert.equal(source.last.rv, '10');
    assert.deepEqual(upserts, ['a@5', 'b@6']);
    source.last.emit({ type: 'MODIFIED', object: obj('a', '11') });
    source.last.emit({ type: 'ADDED', object: obj('c', '12') });
    source.last.emit({ type: 'DELETED', object: obj('b', '13') });
    source.last.emit({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '20' } } });
    assert.deepEqual(upserts, ['a@5', 'b@6', 'a@11', 'c@12']);
    assert.deepEqual(deletes, ['b']);
    assert.deepEqual(
      lw.list().map((o) => o.metadata?.name),
      ['a', 'c'],
    );
    assert.equal(lw.resourceVersion, '20');
    lw.stop();
  });

  test('a clean close re-watches from the last resourceVersion without relisting', async () => {
    const { source, restarts, lw, timers } = setup();
    source.listResults.push({ items: [], resourceVersion: '10' });
    lw.start();
    await flush();
    source.last.emit({ type: 'ADDED', object: obj('a', '15') });
    source.last.done();
    await timers.advance(0);
    assert.equal(source.lists, 1);
    assert.equal(source.watches.length, 2);
    assert.equal(source.last.rv, '15');
    assert.deepEqual(restarts, ['closed']);
    lw.stop();
  });

  test('watch errors restart with growing backoff from the last resourceVersion', async () => {
    const { source, restarts, lw, timers } = setup();
    source.listResults.push({ items: [], resourceVersion: '10' });
    lw.start();
    await flush();
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      source.last.done(Object.assign(new Error('ECONNRESET'), { code: 'ECONNRESET' }));
      await flush();
      delays.push(timers.pendingDelays().filter((d) => d < 60_000)[0] ?? -1);
      await timers.advance(delays[i] ?? 0);
    }
    assert.deepEqual(delays, [0, 100, 200, 400]);
    assert.equal(source.lists, 1);
    assert.ok(source.watches.every((w) => w.rv === '10'));
    assert.deepEqual(restarts, ['error', 'error', 'error', 'error']);
    lw.stop();
  });

  test('410 Gone (HTTP status or ERROR event) relists and reports vanished objects as deleted', async () => {
    const { source, upserts, deletes, restarts, lw, timers } = setup();
    source.listResults.push({ items: [obj('a', '5'), obj('b', '6')], resourceVersion: '10' });
    lw.start();
    await flush();
    source.listResults.push({ items: [obj('a', '30')], resourceVersion: '31' });
    source.last.emit({ type: 'ERROR', object: { kind: 'Status', code: 410 } as KubernetesObject });
    await timers.advance(0);
    assert.equal(source.lists, 2);
    assert.equal(source.last.rv, '31');
    assert.deepEqual(deletes, ['b']);
    assert.deepEqual(upserts, ['a@5', 'b@6', 'a@30']);

    source.listResults.push({ items: [obj('a', '40')], resourceVersion: '41' });
    source.last.done(Object.assign(new Error('Gone'), { statusCode: 410 }));
    await timers.advance(0);
    assert.equal(source.lists, 3);
    assert.equal(source.last.rv, '41');
    assert.deepEqual(restarts, ['gone', 'gone']);
    lw.stop();
  });

  test('watchdog restarts a watch that receives nothing, not even bookmarks', async () => {
    const { source, restarts, lw, timers } = setup({ watchdogMs: 1000 });
    source.listResults.push({ items: [], resourceVersion: '10' });
    lw.start();
    await flush();
    await timers.advance(900);
    source.last.emit({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '12' } } });
    await timers.advance(900);
    assert.equal(source.watches.length, 1, 'a bookmark keeps the watch alive');
    await timers.advance(100);
    assert.equal(source.watches[0]?.stopped, true);
    assert.equal(source.watches.length, 2);
    assert.equal(source.last.rv, '12');
    assert.deepEqual(restarts, ['watchdog']);
    lw.stop();
  });

  test('periodic resync relists and reports every object again', async () => {
    const { source, upserts, restarts, lw, timers } = setup({ resyncMs: 5000 });
    source.listResults.push({ items: [obj('a', '5')], resourceVersion: '10' });
    lw.start();
    await flush();
    source.listResults.push({ items: [obj('a', '5')], resourceVersion: '11' });
    await timers.advance(5000);
    assert.equal(source.lists, 2);
    assert.deepEqual(upserts, ['a@5', 'a@5']);
    assert.deepEqual(restarts, ['resync']);
    lw.stop();
  });

  test('a failing list is retried with backoff and nothing is lost when it recovers', async () => {
    const { source, upserts, restarts, lw, timers } = setup();
    source.listResults.push(new Error('connect ECONNREFUSED'), new Error('connect ECONNREFUSED'));
    source.listResults.push({ items: [obj('a', '5')], resourceVersion: '10' });
    lw.start();
    await flush();
    assert.equal(lw.synced, false);
    await timers.advance(0);
    await timers.advance(100);
    await lw.waitForSync();
    await flush();
    assert.equal(source.lists, 3);
    assert.deepEqual(upserts, ['a@5']);
    assert.deepEqual(restarts, ['list_error', 'list_error']);
    assert.equal(source.last.rv, '10');
    lw.stop();
  });

  test('events of a stopped watch are ignored after a restart', async () => {
    const { source, upserts, lw, timers } = setup({ watchdogMs: 1000 });
    source.listResults.push({ items: [], resourceVersion: '10' });
    lw.start();
    await flush();
    const old = source.last;
    await timers.advance(1000);
    old.emit({ type: 'ADDED', object: obj('late', '99') });
    assert.deepEqual(upserts, []);
    lw.stop();
  });
});
