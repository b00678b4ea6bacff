import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { processAlive, withBuildLock } from './build-lock.ts';

const dir = await mkdtemp(path.join(os.tmpdir(), 'kube-lock-test-'));
after(() => rm(dir, { recursive: true, force: true }));

const neverWaits = (pid: number) => assert.fail(`waited for pid ${pid}`);

test('the lock holds our pid while the work runs and is released after', async () => {
  const lock = path.join(dir, 'a.lock');
  const seen = await withBuildLock(lock, () => readFile(lock, 'utf8'), neverWaits);
  assert.equal(seen, String(process.pid));
  await assert.rejects(readFile(lock), { code: 'ENOENT' });
});

test('a stale lock (its pid is gone) is taken over without waiting', async () => {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  assert.equal(processAlive(child.pid as number), false);
  const lock = path.join(dir, 'b.lock');
  await writeFile(lock, String(child.pid));
  assert.equal(await withBuildLock(lock, async () => 'ran', neverWaits), 'ran');
});

test('a second caller waits for the holder and runs after it releases', async () => {
  const lock = path.join(dir, 'c.lock');
  const order: string[] = [];
  let release: () => void = () => {};
  const holding = new Promise<void>((r) => {
    release = r;
  });
  let waitingOn: (pid: number) => void = () => {};
  const waitingSeen = new Promise<number>((r) => {
    waitingOn = r;
  });
  const first = withBuildLock(
    lock,
    async () => {
      order.push('first');
      await holding;
      order.push('first done');
    },
    neverWaits,
  );
  const second = withBuildLock(lock, async () => order.push('second'), waitingOn, 10);
  assert.equal(await waitingSeen, process.pid);
  assert.deepEqual(order, ['first']);
  release();
  await Promise.all([first, second]);
  assert.deepEqual(order, ['first', 'first done', 'second']);
});
