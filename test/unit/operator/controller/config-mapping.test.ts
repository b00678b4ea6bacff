import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AlpacaForwarder } from '../../../../operator/api/types.ts';
import { ConfigError, loadConfig } from '../../../../operator/controller/config.ts';
import { resolveSecretInputs } from '../../../../operator/controller/inputs.ts';
import {
  labelOwnerKey,
  ownerKey,
  ownersOfSecret,
  referencedSecrets,
} from '../../../../operator/controller/mapping.ts';
import { keyIdHash } from '../../../../operator/desired/hash.ts';

describe('operator env config', () => {
  test('defaults apply when unset; values parse strictly', () => {
    const c = loadConfig({ FORWARDER_IMAGE: 'img:1', WATCH_NAMESPACES: 'a, b', WORKERS: '3' });
    assert.deepEqual(c.WATCH_NAMESPACES, ['a', 'b']);
    assert.equal(c.WORKERS, 3);
    assert.equal(c.PROBE_INTERVAL_NOT_READY_SECONDS, 10);
    assert.equal(c.PROBE_INTERVAL_READY_SECONDS, 30);
    assert.equal(c.LEADER_ELECTION, true);
    assert.equal(c.PROBE_ADDRESS, 'pod');
    assert.deepEqual(c.API_SERVER_PORTS, [443, 6443]);
  });

  test('by default the probe pool keeps up with 1,000 unreachable not-ready forwarders', () => {
    const c = loadConfig({ FORWARDER_IMAGE: 'img:1' });
    // Every probe of an unreachable pod lasts its whole timeout; a round must fit in one interval.
    const capacityPerS = (c.PROBE_CONCURRENCY * 1000) / c.PROBE_TIMEOUT_MS;
    const neededPerS = 1000 / c.PROBE_INTERVAL_NOT_READY_SECONDS;
    assert.ok(capacityPerS >= neededPerS, `${capacityPerS} probes/s < ${neededPerS} needed`);
  });

  test('every bad variable is named in one error; malformed numbers never fall back to defaults', () => {
    assert.throws(
      () => loadConfig({ WORKERS: '2x', LEADER_ELECTION: 'yes', WATCH_NAMESPACES: 'Bad_NS', HTTP_PORT: '' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        for (const name of [
          'WORKERS',
          'LEADER_ELECTION',
          'WATCH_NAMESPACES',
          'HTTP_PORT',
          'FORWARDER_IMAGE',
        ]) {
          assert.match(err.message, new RegExp(name));
        }
        return true;
      },
    );
  });

  test('leader-election timings must nest', () => {
    assert.throws(
      () => loadConfig({ FORWARDER_IMAGE: 'i', LEASE_DURATION_SECONDS: '10', RENEW_DEADLINE_SECONDS: '10' }),
      /LEASE_DURATION_SECONDS > RENEW_DEADLINE_SECONDS/,
    );
  });
});

const af = (name: string, secret: string, sasl?: string): AlpacaForwarder =>
  ({
    apiVersion: 'torghut.io/v1alpha1',
    kind: 'AlpacaForwarder',
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, generation: 1 },
    spec: {
      credentialsSecretRef: { name: secret, keyIdKey: 'id', secretKeyKey: 'key' },
      kafka: sasl
        ? { sasl: { mechanism: 'SCRAM-SHA-512', secretRef: { name: sasl, passwordKey: 'pw' } } }
        : {},
    },
  }) as unknown as AlpacaForwarder;

describe('event → owner mapping', () => {
  test('owned objects map by controller ownerReference; pods by the instance label', () => {
    const owned = {
      metadata: {
        namespace: 'ns',
        name: 'x-forwarder',
        ownerReferences: [
          {
            apiVersion: 'torghut.io/v1alpha1',
            kind: 'AlpacaForwarder',
            name: 'x',
            uid: 'u',
            controller: true,
          },
        ],
      },
    };
    assert.equal(ownerKey(owned, 'torghut.io/v1alpha1', 'AlpacaForwarder'), 'ns/x');
    const notController = {
      metadata: {
        ...owned.metadata,
        ownerReferences: [{ ...owned.metadata.ownerReferences[0], controller: false }],
      },
    };
    assert.equal(ownerKey(notController as never, 'torghut.io/v1alpha1', 'AlpacaForwarder'), undefined);
    assert.equal(labelOwnerKey({ metadata: { namespace: 'ns', labels: { inst: 'x' } } }, 'inst'), 'ns/x');
  });

  test('a Secret maps to every resource in its namespace that references it', () => {
    const list = [af('a', 'creds'), af('b', 'other', 'creds'), af('c', 'other')];
    assert.deepEqual(referencedSecrets(list[1] as AlpacaForwarder), ['creds', 'other']);
    assert.deepEqual(ownersOfSecret('ns', 'creds', list), ['ns/a', 'ns/b']);
    assert.deepEqual(ownersOfSecret('elsewhere', 'creds', list), []);
  });
});

describe('Secret inputs', () => {
  test('hashes the referenced values and the key id; reports missing Secrets and keys by name only', async () => {
    const spec = af('a', 'creds', 'kafka').spec;
    const secrets: Record<string, Record<string, string>> = {
      creds: { id: 'PKID123', key: 'supersecret' },
      kafka: { pw: 'kafkapw' },
    };
    const read = async (_ns: string, name: string, keys: readonly string[]) => {
      const s = secrets[name];
      if (!s) return undefined;
      return new Map(keys.filter((k) => s[k] !== undefined).map((k) => [k, Buffer.from(s[k] as string)]));
    };
    const ok = await resolveSecretInputs('ns', spec, read);
    assert.ok(ok.ok);
    assert.equal(ok.keyIdHash, keyIdHash('PKID123'));
    assert.doesNotMatch(JSON.stringify(ok), /PKID123|supersecret|kafkapw/);
    secrets.creds = { id: 'PKID123', key: 'rotated' };
    const rotated = await resolveSecretInputs('ns', spec, read);
    assert.ok(rotated.ok);
    assert.notEqual(rotated.secretHash, ok.secretHash);
    assert.equal(rotated.keyIdHash, ok.keyIdHash);

    delete secrets.kafka;
    secrets.creds = { id: 'PKID123' };
    const missing = await resolveSecretInputs('ns', spec, read);
    assert.deepEqual(missing, {
      ok: false,
      missing: [
        { kind: 'key_missing', secret: 'creds', key: 'key' },
        { kind: 'secret_not_found', secret: 'kafka' },
      ],
    });
  });
});
