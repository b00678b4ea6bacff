import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kubeconformSchemas, type OpenApiV2, schemaFileName, strictDirName } from './openapi-schemas.ts';

/** The member at a path of keys, or undefined. */
function at(node: unknown, ...keys: string[]): unknown {
  let v = node;
  for (const k of keys)
    v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

const DOC: OpenApiV2 = {
  definitions: {
    'io.k8s.api.apps.v1.Deployment': {
      type: 'object',
      'x-kubernetes-group-version-kind': [{ group: 'apps', version: 'v1', kind: 'Deployment' }],
      properties: {
        metadata: { $ref: '#/definitions/io.k8s.meta.ObjectMeta' },
        spec: {
          type: 'object',
          properties: { maxSurge: { type: 'string', format: 'int-or-string' } },
        },
      },
    },
    'io.k8s.meta.ObjectMeta': {
      type: 'object',
      properties: {
        name: { type: 'string' },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
    'io.k8s.unused.Thing': { type: 'object', properties: { x: { type: 'string' } } },
    'io.torghut.v1alpha1.AlpacaForwarder': {
      type: 'object',
      'x-kubernetes-group-version-kind': [
        { group: 'torghut.io', version: 'v1alpha1', kind: 'AlpacaForwarder' },
      ],
      properties: {
        spec: {
          type: 'object',
          'x-kubernetes-preserve-unknown-fields': true,
          properties: { a: { type: 'string' } },
        },
        port: { 'x-kubernetes-int-or-string': true },
      },
    },
  },
};

test("file names follow kubeconform's layout: kind, the group's first label, version; core has no group", () => {
  assert.equal(
    schemaFileName({ group: 'apps', version: 'v1', kind: 'Deployment' }),
    'deployment-apps-v1.json',
  );
  assert.equal(schemaFileName({ group: '', version: 'v1', kind: 'ConfigMap' }), 'configmap-v1.json');
  assert.equal(
    schemaFileName({ group: 'torghut.io', version: 'v1alpha1', kind: 'AlpacaForwarder' }),
    'alpacaforwarder-torghut-v1alpha1.json',
  );
  assert.equal(strictDirName('1.34.4'), 'v1.34.4-standalone-strict');
  assert.deepEqual([...kubeconformSchemas(DOC).keys()].sort(), [
    'alpacaforwarder-torghut-v1alpha1.json',
    'deployment-apps-v1.json',
  ]);
});

test('strict: objects with properties refuse unknown members, unless unknown fields are preserved; maps stay maps', () => {
  const d = kubeconformSchemas(DOC).get('deployment-apps-v1.json');
  assert.equal(at(d, 'additionalProperties'), false);
  assert.equal(at(d, 'properties', 'spec', 'additionalProperties'), false);
  const meta = at(d, 'definitions', 'io.k8s.meta.ObjectMeta');
  assert.equal(at(meta, 'additionalProperties'), false);
  assert.deepEqual(at(meta, 'properties', 'labels', 'additionalProperties'), { type: 'string' });
  const af = kubeconformSchemas(DOC).get('alpacaforwarder-torghut-v1alpha1.json');
  assert.equal(at(af, 'properties', 'spec', 'additionalProperties'), undefined);
});

test('int-or-string becomes oneOf string/integer; each file carries only the definitions it reaches', () => {
  const d = kubeconformSchemas(DOC).get('deployment-apps-v1.json');
  assert.deepEqual(at(d, 'properties', 'spec', 'properties', 'maxSurge'), {
    oneOf: [{ type: 'string' }, { type: 'integer' }],
  });
  assert.deepEqual(Object.keys(at(d, 'definitions') as object), ['io.k8s.meta.ObjectMeta']);
  const af = kubeconformSchemas(DOC).get('alpacaforwarder-torghut-v1alpha1.json');
  assert.deepEqual(at(af, 'properties', 'port', 'oneOf'), [{ type: 'string' }, { type: 'integer' }]);
});

test('a $ref to a missing definition is an error naming it', () => {
  const broken: OpenApiV2 = {
    definitions: {
      K: {
        'x-kubernetes-group-version-kind': [{ group: '', version: 'v1', kind: 'K' }],
        properties: { m: { $ref: '#/definitions/io.k8s.Missing' } },
      },
    },
  };
  assert.throws(() => kubeconformSchemas(broken), /missing definition io\.k8s\.Missing/);
});
