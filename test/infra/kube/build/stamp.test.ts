import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { BINARIES, type BinaryName, cacheLayout } from '../cache-paths.ts';
import { type BuildStamp, RECIPE, validCache } from './stamp.ts';

const root = await mkdtemp(path.join(os.tmpdir(), 'kube-stamp-test-'));
after(() => rm(root, { recursive: true, force: true }));

async function entry(
  name: string,
  stamp: Partial<BuildStamp> | undefined,
  binaries: readonly BinaryName[] = BINARIES,
) {
  const layout = cacheLayout('1.34.4', { PROJECT_CACHE: path.join(root, name) });
  await mkdir(layout.binDir, { recursive: true });
  for (const b of binaries) {
    await writeFile(layout.binary(b), '#!/bin/sh\n');
    await chmod(layout.binary(b), 0o755);
  }
  if (stamp) {
    const full = {
      kubeVersion: '1.34.4',
      etcdVersion: '3.6.5',
      goVersion: 'go1.26',
      recipe: RECIPE,
      ...stamp,
    };
    await writeFile(layout.stampFile, JSON.stringify(full));
  }
  return layout;
}

test('the cache layout is $PROJECT_CACHE/kube/<version>/bin', () => {
  const layout = cacheLayout('1.34.4', { PROJECT_CACHE: '/c' });
  assert.equal(layout.binary('kube-apiserver'), '/c/kube/1.34.4/bin/kube-apiserver');
  assert.equal(layout.stampFile, '/c/kube/1.34.4/bin/stamp.json');
});

test('a complete entry with a matching stamp is reused', async () => {
  const layout = await entry('complete', {});
  assert.equal((await validCache(layout, '1.34.4'))?.etcdVersion, '3.6.5');
});

test('an entry without a stamp, with another recipe or version, or missing a binary is rebuilt', async () => {
  assert.equal(await validCache(await entry('no-stamp', undefined), '1.34.4'), undefined);
  assert.equal(await validCache(await entry('old-recipe', { recipe: RECIPE - 1 }), '1.34.4'), undefined);
  assert.equal(
    await validCache(await entry('other-version', { kubeVersion: '1.34.3' }), '1.34.4'),
    undefined,
  );
  assert.equal(
    await validCache(await entry('no-etcd', {}, ['kube-apiserver', 'kube-controller-manager']), '1.34.4'),
    undefined,
  );
});
