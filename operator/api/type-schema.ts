/**
 * Picks the JSON Schema that the AlpacaForwarder TypeScript types are generated from out of the
 * CRD (scripts/generate-types.ts → operator/api/generated/alpacaforwarder.ts).
 *
 * The spec type describes the object as read from the API server, where structural-schema
 * defaults are already applied: every property with a `default` is therefore marked required
 * (a default applies whenever its parent object exists). Kubernetes extensions are dropped.
 */
import type { JSONSchema } from 'json-schema-to-typescript';

type SchemaNode = Record<string, unknown>;

function isNode(value: unknown): value is SchemaNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The openAPIV3Schema of the CRD's only version; throws naming what is missing. */
export function crdOpenApiSchema(crd: unknown): SchemaNode {
  const versions = isNode(crd) && isNode(crd.spec) ? crd.spec.versions : undefined;
  if (!Array.isArray(versions) || versions.length !== 1) {
    throw new Error('CRD must declare exactly one version (spec.versions)');
  }
  const schema = versions[0]?.schema?.openAPIV3Schema;
  if (!isNode(schema)) throw new Error('CRD version has no schema.openAPIV3Schema');
  return schema;
}

/** Copies a schema node, dropping Kubernetes extensions and marking defaulted properties required. */
function toTypeSchema(node: SchemaNode): SchemaNode {
  const out: SchemaNode = {};
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith('x-kubernetes-') || key === 'default') continue;
    if (key === 'properties' && isNode(value)) {
      out.properties = Object.fromEntries(
        Object.entries(value).map(([name, child]) => [name, isNode(child) ? toTypeSchema(child) : child]),
      );
    } else if ((key === 'items' || key === 'additionalProperties') && isNode(value)) {
      out[key] = toTypeSchema(value);
    } else if (key === 'anyOf' && Array.isArray(value)) {
      out.anyOf = value.map((v) => (isNode(v) ? toTypeSchema(v) : v));
    } else if (key === 'maxItems' || key === 'minItems') {
      // Bounds stay in the CRD; tuple types for bounded arrays would only get in the way.
    } else {
      out[key] = value;
    }
  }
  if (isNode(node.properties)) {
    const required = new Set(Array.isArray(node.required) ? (node.required as string[]) : []);
    for (const [name, child] of Object.entries(node.properties)) {
      if (isNode(child) && 'default' in child) required.add(name);
    }
    if (required.size > 0) out.required = [...required].sort();
  }
  return out;
}

/** `select` for scripts/generate-types.ts: spec and status as named interfaces. */
export function selectAlpacaForwarderTypeSchema(crd: unknown): JSONSchema {
  const root = crdOpenApiSchema(crd);
  const properties = isNode(root.properties) ? root.properties : {};
  const pick = (prop: string, title: string): SchemaNode => {
    const node = properties[prop];
    if (!isNode(node)) throw new Error(`CRD openAPIV3Schema has no ${prop}`);
    return { ...toTypeSchema(node), title };
  };
  return {
    title: 'AlpacaForwarderSpecAndStatus',
    type: 'object',
    additionalProperties: false,
    required: ['spec'],
    properties: {
      spec: pick('spec', 'AlpacaForwarderSpec'),
      status: pick('status', 'AlpacaForwarderStatus'),
    },
  } as JSONSchema;
}
