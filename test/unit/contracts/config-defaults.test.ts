/**
 * The config-file schema is the one description of the forwarder's settings and their defaults:
 * the resolved configuration is the schema's output, every default is documented, and a value
 * written in env or the file wins over the schema's default.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { CONFIG_DEFAULTS, configFileSchema } from '../../../contracts/config-file.ts';
import { readEnv } from '../../../forwarder/config/env.ts';
import { resolveConfig } from '../../../forwarder/config/resolve.ts';
import { baseEnv } from '../../support/forwarder-env.ts';

/** Dot paths of every leaf (scalar or list) of a plain object. */
function leafPaths(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
}

/** File keys named in docs/forwarder.md's settings table, `a.{b,c}` expanded. */
function documentedKeys(docs: string): Set<string> {
  const keys = new Set<string>();
  for (const line of docs.split('\n')) {
    const column = line.startsWith('| ') ? line.split(' | ')[1] : undefined;
    for (const [, key] of column?.matchAll(/`([^`]+)`/g) ?? []) {
      const brace = /^(.*)\{([^}]+)\}$/.exec(key as string);
      if (!brace) keys.add(key as string);
      else for (const leaf of (brace[2] as string).split(',')) keys.add(`${brace[1]}${leaf}`);
    }
  }
  return keys;
}

test('the schema applied to an empty file is a complete configuration of defaults', () => {
  assert.equal(CONFIG_DEFAULTS.feed, 'iex');
  assert.equal(CONFIG_DEFAULTS.perMessageDeflate, false);
  assert.deepEqual(CONFIG_DEFAULTS.reconnect, { baseMs: 500, maxMs: 30_000, cooldown406Ms: 90_000 });
  assert.deepEqual(CONFIG_DEFAULTS.kafka.producer, {
    lingerMs: 30,
    batchBytes: 1_048_576,
    compression: 'lz4',
    acks: -1,
    maxBufferBytes: 64 * 1024 * 1024,
  });
  assert.deepEqual(CONFIG_DEFAULTS.channels, {
    trades: true,
    quotes: true,
    bars: true,
    updatedBars: true,
    statuses: false,
  });
  // A partial object still gets the defaults of the keys it leaves out.
  const partial = configFileSchema.parse({ kafka: { producer: { lingerMs: 5 } } });
  assert.equal(partial.kafka.producer.lingerMs, 5);
  assert.equal(partial.kafka.producer.batchBytes, 1_048_576);
  assert.equal(partial.kafka.topics.status, 'torghut.status.v1');
});

test('the resolved configuration takes every default from the schema, and env or file values over it', () => {
  const { config } = resolveConfig(readEnv(baseEnv()), null);
  // baseEnv sets the symbols and PLAINTEXT, so SASL (and its mechanism) is off.
  const setByBaseEnv = new Set(['symbols', 'kafka.securityProtocol', 'kafka.sasl.mechanism']);
  for (const path of leafPaths(CONFIG_DEFAULTS)) {
    if (setByBaseEnv.has(path)) continue;
    const pick = (root: unknown) =>
      path.split('.').reduce<unknown>((node, k) => (node as Record<string, unknown>)[k], root);
    assert.deepEqual(
      pick(config),
      pick(CONFIG_DEFAULTS),
      `${path}: resolved value is not the schema default`,
    );
  }
  const env = { ...baseEnv(), KAFKA_LINGER_MS: '7', DEDUP_MAX_ENTRIES: '500' };
  const file = { path: '/etc/f.json', value: { kafka: { producer: { lingerMs: 9 } } } };
  const over = resolveConfig(readEnv(env), file).config;
  assert.equal(over.kafka.producer.lingerMs, 9, 'the file wins over env');
  assert.equal(over.dedup.maxEntries, 500, 'env wins over the default');
  assert.equal(over.kafka.producer.batchBytes, 1_048_576, 'untouched keys keep the default');
});

test('docs/forwarder.md names every setting that has a default', async () => {
  const docs = await readFile(new URL('../../../docs/forwarder.md', import.meta.url), 'utf8');
  const documented = documentedKeys(docs);
  const missing = leafPaths(CONFIG_DEFAULTS).filter((p) => !documented.has(p));
  assert.deepEqual(missing, []);
});
