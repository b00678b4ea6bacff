import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rename, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import pino from 'pino';
import { readEnv } from '../../../../forwarder/config/env.ts';
import { loadConfig } from '../../../../forwarder/config/load.ts';
import { subscriptionsFor } from '../../../../forwarder/config/subscriptions.ts';
import type { ForwarderConfig } from '../../../../forwarder/config/types.ts';
import {
  type ConfigWatcher,
  type ReloadResult,
  watchConfigFile,
} from '../../../../forwarder/config/watch.ts';
import { baseEnv } from '../../../support/forwarder-env.ts';

/** Writes files the way the kubelet updates a ConfigMap volume: new dir, then an atomic ..data swap. */
async function configMapVolume() {
  const dir = await mkdtemp(join(tmpdir(), 'fwd-cm-'));
  let n = 0;
  async function publish(content: string): Promise<void> {
    n += 1;
    const version = `..2026_01_01_00_00_0${n}`;
    await mkdir(join(dir, version));
    await writeFile(join(dir, version, 'config.yaml'), content);
    await symlink(version, join(dir, '..data_tmp'));
    await rename(join(dir, '..data_tmp'), join(dir, '..data'));
  }
  return {
    dir,
    path: join(dir, 'config.yaml'),
    publish,
    link: () => symlink('..data/config.yaml', join(dir, 'config.yaml')),
  };
}

const watchers: ConfigWatcher[] = [];
after(() => {
  for (const w of watchers) w.close();
});

describe('config file watch', () => {
  test('a symbol change arriving as a ..data swap is applied as a subscription update; bad files are ignored', async () => {
    const vol = await configMapVolume();
    await vol.publish('symbols: [AAPL, MSFT]\n');
    await vol.link();
    const env = baseEnv({ FORWARDER_CONFIG_FILE: vol.path });
    const { config } = await loadConfig(env);
    const applied: ForwarderConfig[] = [];
    const results: ReloadResult[] = [];
    let wake: (() => void) | null = null;
    const next = () =>
      new Promise<void>((resolve) => {
        wake = resolve;
      });
    const watcher = watchConfigFile(vol.path, {
      env: readEnv(env),
      initial: config,
      logger: pino({ level: 'silent' }),
      debounceMs: 20,
      onSubscriptions: (c) => applied.push(c),
      onResult: (r) => {
        results.push(r);
        if (r !== 'unchanged') wake?.();
      },
    });
    watchers.push(watcher);

    let seen = next();
    await vol.publish('symbols: [AAPL, TSLA]\nchannels: {quotes: false}\n');
    await seen;
    assert.equal(applied.length, 1);
    assert.deepEqual(subscriptionsFor(applied[0] as ForwarderConfig), {
      trades: ['AAPL', 'TSLA'],
      quotes: [],
      bars: ['AAPL', 'TSLA'],
      updatedBars: ['AAPL', 'TSLA'],
      statuses: [],
    });

    seen = next();
    await vol.publish('symbols: [AAPL, "not a symbol"]\nbogus: 1\n');
    await seen;
    assert.equal(results.at(-1), 'rejected');
    assert.deepEqual(watcher.current().symbols, ['AAPL', 'TSLA'], 'the old config stays');

    seen = next();
    await vol.publish(
      'symbols: [AAPL, TSLA]\nchannels: {quotes: false}\nkafka: {producer: {lingerMs: 45}}\n',
    );
    await seen;
    assert.equal(results.at(-1), 'restart_required');
    assert.equal(applied.length, 1, 'a restart-only change does not touch subscriptions');
    assert.equal(
      watcher.current().kafka.producer.lingerMs,
      config.kafka.producer.lingerMs,
      'not applied live',
    );
  });

  test('reload() is idempotent when nothing changed', async () => {
    const vol = await configMapVolume();
    await vol.publish('symbols: [SPY]\n');
    await vol.link();
    const env = baseEnv({ FORWARDER_CONFIG_FILE: vol.path });
    const { config } = await loadConfig(env);
    const watcher = watchConfigFile(vol.path, {
      env: readEnv(env),
      initial: config,
      logger: pino({ level: 'silent' }),
      onSubscriptions: () => assert.fail('no change expected'),
    });
    watchers.push(watcher);
    const first = await watcher.reload();
    assert.ok(first === 'unchanged', `got ${first}`);
    assert.equal(await watcher.reload(), 'unchanged');
  });
});
