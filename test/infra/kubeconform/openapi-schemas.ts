/**
 * Pure: the kube-apiserver's OpenAPI v2 document (GET /openapi/v2) → kubeconform's schema layout,
 * the one of yannh/kubernetes-json-schema that `kubeconform -schema-location DIR` reads:
 * `DIR/v<kube version>-standalone-strict/<kind>-<group's first label>-<version>.json`
 * (`<kind>-<version>.json` for the core group), one standalone JSON Schema per kind.
 *
 * The same transformations as kubeconform's openapi2jsonschema.py, for what it reads in strict
 * mode: every object schema with `properties` gets `additionalProperties: false` unless the API
 * server preserves unknown fields there (kubectl's own validation does the same), and
 * int-or-string becomes `oneOf: [string, integer]`. `$ref`s keep their `#/definitions/NAME` form:
 * each file carries the definitions its kind reaches.
 */

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Gvk {
  group: string;
  version: string;
  kind: string;
}

export interface OpenApiV2 {
  definitions: Record<string, Node>;
}

const REF_PREFIX = '#/definitions/';
const INT_OR_STRING = { oneOf: [{ type: 'string' }, { type: 'integer' }] };

/** kubeconform's file name for a kind (pkg/registry/registry.go: ResourceKind + KindSuffix). */
export function schemaFileName(gvk: Gvk): string {
  const group = gvk.group === '' ? '' : `-${(gvk.group.split('.')[0] ?? '').toLowerCase()}`;
  return `${gvk.kind.toLowerCase()}${group}-${gvk.version.toLowerCase()}.json`;
}

/** The directory kubeconform looks in under -schema-location for a version in strict mode. */
export function strictDirName(kubeVersion: string): string {
  return `v${kubeVersion.replace(/^v/, '')}-standalone-strict`;
}

function strictify(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strictify);
  if (!isNode(node)) return node;
  if (node.format === 'int-or-string' || node['x-kubernetes-int-or-string'] === true) {
    const { type: _type, format: _format, ...rest } = node;
    return { ...rest, ...INT_OR_STRING };
  }
  const out: Node = {};
  for (const [k, v] of Object.entries(node)) {
    // `properties` and `definitions` map names to schemas: recurse into each schema, not the map.
    out[k] =
      (k === 'properties' || k === 'definitions' || k === 'patternProperties') && isNode(v)
        ? Object.fromEntries(Object.entries(v).map(([name, s]) => [name, strictify(s)]))
        : strictify(v);
  }
  if (
    isNode(node.properties) &&
    node.additionalProperties === undefined &&
    node['x-kubernetes-preserve-unknown-fields'] !== true
  ) {
    out.additionalProperties = false;
  }
  return out;
}

function refsOf(node: unknown, into: Set<string>): void {
  if (Array.isArray(node)) {
    for (const v of node) refsOf(v, into);
    return;
  }
  if (!isNode(node)) return;
  for (const [k, v] of Object.entries(node)) {
    if (k === '$ref' && typeof v === 'string' && v.startsWith(REF_PREFIX))
      into.add(v.slice(REF_PREFIX.length));
    else refsOf(v, into);
  }
}

/** Every definition `root` reaches through $refs (itself excluded unless it is recursive). */
function reachable(doc: OpenApiV2, root: Node): Set<string> {
  const seen = new Set<string>();
  const pending = new Set<string>();
  refsOf(root, pending);
  while (pending.size > 0) {
    const [name] = pending;
    if (name === undefined) break;
    pending.delete(name);
    if (seen.has(name)) continue;
    const def = doc.definitions[name];
    if (def === undefined) throw new Error(`OpenAPI: $ref to missing definition ${name}`);
    seen.add(name);
    refsOf(def, pending);
  }
  return seen;
}

/** File name → standalone strict JSON Schema, for every kind the document names. */
export function kubeconformSchemas(doc: OpenApiV2): Map<string, Node> {
  if (!isNode(doc) || !isNode(doc.definitions)) throw new Error('OpenAPI v2 document has no definitions');
  const files = new Map<string, Node>();
  for (const def of Object.values(doc.definitions)) {
    const gvks = def['x-kubernetes-group-version-kind'];
    if (!Array.isArray(gvks)) continue;
    const definitions = Object.fromEntries(
      [...reachable(doc, def)].sort().map((name) => [name, doc.definitions[name]]),
    );
    const schema = strictify({ ...def, definitions }) as Node;
    for (const gvk of gvks as Gvk[]) {
      const file = schemaFileName(gvk);
      // Several kinds are published under more than one definition (e.g. DeleteOptions in every
      // group): the first wins, as in openapi2jsonschema.
      if (!files.has(file)) files.set(file, schema);
    }
  }
  return files;
}
