/**
 * The AlpacaForwarder CRD: structural (every node typed, no properties+additionalProperties mix,
 * int-or-string only in its allowed anyOf form), bounded (every string, array and map has a
 * maximum, which CEL cost estimation needs), defaults valid against their own schema, printer
 * columns pointing at real fields, every CEL rule with a message, and the generated TypeScript
 * types up to date.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { crdOpenApiSchema } from '../../../../operator/api/type-schema.ts';
import { API_VERSION, GROUP, KIND, PLURAL, VERSION } from '../../../../operator/api/types.ts';
import { render, TARGETS } from '../../../../scripts/generate-types.ts';

type Node = Record<string, unknown>;

const CRD_FILE = fileURLToPath(new URL('../../../../crds/alpacaforwarders.torghut.io.yaml', import.meta.url));
const crd = parse(await readFile(CRD_FILE, 'utf8')) as Node;
const root = crdOpenApiSchema(crd);

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Visits every schema node with its JSON path. */
function walk(node: Node, path: string, visit: (node: Node, path: string) => void): void {
  visit(node, path);
  if (isNode(node.properties)) {
    for (const [k, v] of Object.entries(node.properties)) if (isNode(v)) walk(v, `${path}.${k}`, visit);
  }
  if (isNode(node.items)) walk(node.items, `${path}[]`, visit);
  if (isNode(node.additionalProperties)) walk(node.additionalProperties, `${path}{}`, visit);
}

function allNodes(): Array<[Node, string]> {
  const out: Array<[Node, string]> = [];
  walk(root, '', (n, p) => out.push([n, p]));
  return out;
}

const INT_OR_STRING_ANYOF = JSON.stringify([{ type: 'integer' }, { type: 'string' }]);

test('CRD names: torghut.io/v1alpha1 AlpacaForwarder, plural alpacaforwarders, short name af, namespaced', () => {
  const spec = crd.spec as Node;
  const names = spec.names as Node;
  assert.equal(crd.apiVersion, 'apiextensions.k8s.io/v1');
  assert.equal((crd.metadata as Node).name, `${PLURAL}.${GROUP}`);
  assert.equal(spec.group, GROUP);
  assert.equal(spec.scope, 'Namespaced');
  assert.equal(names.kind, KIND);
  assert.equal(names.plural, PLURAL);
  assert.deepEqual(names.shortNames, ['af']);
  const [version] = spec.versions as Node[];
  assert.equal(`${GROUP}/${version?.name}`, API_VERSION);
  assert.equal(version?.name, VERSION);
  assert.deepEqual(version?.subresources, { status: {} });
});

test('schema is structural: every node typed, no properties+additionalProperties, anyOf only for int-or-string', () => {
  const problems: string[] = [];
  for (const [node, path] of allNodes()) {
    const intOrString = node['x-kubernetes-int-or-string'] === true;
    if (intOrString) {
      if ('type' in node) problems.push(`${path}: int-or-string must not set type`);
      if (JSON.stringify(node.anyOf) !== INT_OR_STRING_ANYOF) problems.push(`${path}: int-or-string anyOf`);
    } else {
      if (typeof node.type !== 'string') problems.push(`${path || '<root>'}: no type`);
      if ('anyOf' in node || 'oneOf' in node || 'allOf' in node || 'not' in node) {
        problems.push(`${path}: logical junctors outside int-or-string`);
      }
    }
    if ('properties' in node && 'additionalProperties' in node) {
      problems.push(`${path}: both properties and additionalProperties`);
    }
    if ('$ref' in node) problems.push(`${path}: $ref is not allowed`);
    if (node.type === 'object' && !('properties' in node) && !('additionalProperties' in node)) {
      if (path !== '.metadata' && node['x-kubernetes-preserve-unknown-fields'] !== true) {
        problems.push(`${path}: object without properties would prune everything`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

test('every string, array and map has a bound (maxLength / enum, maxItems, maxProperties)', () => {
  const unbounded: string[] = [];
  for (const [node, path] of allNodes()) {
    const stringLike = node.type === 'string' || node['x-kubernetes-int-or-string'] === true;
    if (stringLike && typeof node.maxLength !== 'number' && !Array.isArray(node.enum)) unbounded.push(path);
    if (node.type === 'array' && typeof node.maxItems !== 'number') unbounded.push(path);
    if (isNode(node.additionalProperties) && typeof node.maxProperties !== 'number') unbounded.push(path);
  }
  assert.deepEqual(unbounded, []);
});

/** A small validator for defaults: type, enum, pattern, bounds, nested properties. */
function validate(value: unknown, schema: Node, path: string, errors: string[]): void {
  const type = schema.type;
  if (schema['x-kubernetes-int-or-string'] === true) {
    if (typeof value !== 'string' && !Number.isInteger(value)) errors.push(`${path}: not int-or-string`);
  } else if (type === 'object') {
    if (!isNode(value)) return void errors.push(`${path}: not an object`);
    const props = isNode(schema.properties) ? schema.properties : {};
    for (const [k, v] of Object.entries(value)) {
      const child = props[k] ?? schema.additionalProperties;
      if (!isNode(child)) errors.push(`${path}.${k}: unknown field`);
      else validate(v, child, `${path}.${k}`, errors);
    }
  } else if (type === 'array') {
    if (!Array.isArray(value)) return void errors.push(`${path}: not an array`);
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems)
      errors.push(`${path}: too long`);
    if (typeof schema.minItems === 'number' && value.length < schema.minItems)
      errors.push(`${path}: too short`);
    value.forEach((v, i) => {
      validate(v, schema.items as Node, `${path}[${i}]`, errors);
    });
  } else if (type === 'string') {
    if (typeof value !== 'string') return void errors.push(`${path}: not a string`);
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern).test(value)) {
      errors.push(`${path}: ${value} does not match ${schema.pattern}`);
    }
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength)
      errors.push(`${path}: too long`);
  } else if (type === 'integer') {
    if (!Number.isInteger(value)) return void errors.push(`${path}: not an integer`);
    const n = value as number;
    if (typeof schema.minimum === 'number' && n < schema.minimum) errors.push(`${path}: below minimum`);
    if (typeof schema.maximum === 'number' && n > schema.maximum) errors.push(`${path}: above maximum`);
  } else if (type === 'boolean' && typeof value !== 'boolean') errors.push(`${path}: not a boolean`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) errors.push(`${path}: not in enum`);
}

test('every default is valid against its own schema', () => {
  const errors: string[] = [];
  let count = 0;
  for (const [node, path] of allNodes()) {
    if (!('default' in node)) continue;
    count++;
    validate(node.default, node, path, errors);
  }
  assert.deepEqual(errors, []);
  assert.ok(count > 30, `expected the spec to default most fields, found ${count} defaults`);
});

test('design §3.1 defaults: lingerMs 30 in 20..50, reconnect 500/30000, on406 true/180/3', () => {
  const spec = (root.properties as Node).spec as Node;
  const at = (...keys: string[]): Node =>
    keys.reduce<Node>((n, k) => ((n.properties as Node)[k] as Node) ?? assert.fail(`no ${k}`), spec);
  const linger = at('kafka', 'producer', 'lingerMs');
  assert.deepEqual([linger.default, linger.minimum, linger.maximum], [30, 20, 50]);
  assert.equal(at('kafka', 'producer', 'compression').default, 'lz4');
  assert.equal(at('reconnect', 'baseMs').default, 500);
  assert.equal(at('reconnect', 'maxMs').default, 30000);
  assert.equal(at('restartPolicy', 'on406', 'enabled').default, true);
  assert.equal(at('restartPolicy', 'on406', 'stuckAfterSeconds').default, 180);
  assert.equal(at('restartPolicy', 'on406', 'maxRestartsPerHour').default, 3);
  assert.equal(at('suspend').default, false);
  assert.equal(at('symbols')['x-kubernetes-list-type'], 'set');
  const symbolPattern = new RegExp(String((at('symbols').items as Node).pattern));
  for (const ok of ['AAPL', 'BRK.B', 'FAKEPACA', '*']) assert.ok(symbolPattern.test(ok), ok);
  for (const bad of ['aapl', '', ' AAPL', '1ABC']) assert.ok(!symbolPattern.test(bad), bad);
});

test('status.conditions is a list map keyed by type with the metav1.Condition shape', () => {
  const status = (root.properties as Node).status as Node;
  const conditions = (status.properties as Node).conditions as Node;
  assert.equal(conditions['x-kubernetes-list-type'], 'map');
  assert.deepEqual(conditions['x-kubernetes-list-map-keys'], ['type']);
  const item = conditions.items as Node;
  assert.deepEqual(
    [...(item.required as string[])].sort(),
    ['lastTransitionTime', 'message', 'reason', 'status', 'type'].sort(),
  );
  assert.deepEqual(Object.keys(item.properties as Node).sort(), [
    'lastTransitionTime',
    'message',
    'observedGeneration',
    'reason',
    'status',
    'type',
  ]);
});

test('every CEL rule has a message and list maps have required keys', () => {
  const problems: string[] = [];
  let rules = 0;
  for (const [node, path] of allNodes()) {
    for (const v of (node['x-kubernetes-validations'] as Node[] | undefined) ?? []) {
      rules++;
      if (typeof v.rule !== 'string' || typeof v.message !== 'string' || v.message.length < 20) {
        problems.push(`${path}: rule without a clear message`);
      }
    }
  }
  assert.deepEqual(problems, []);
  assert.ok(rules >= 10, `expected the cross-field rules of the brief, found ${rules}`);
});

test('CEL rules on objects with a default guard every field with has() (the API server checks the raw default)', () => {
  // kube-apiserver 1.34 evaluates a rule against the object's own `default` (e.g. {}) without
  // applying the nested defaults first; an unguarded self.x then fails with "no such key".
  const problems: string[] = [];
  for (const [node, path] of allNodes()) {
    if (!('default' in node)) continue;
    for (const v of (node['x-kubernetes-validations'] as Node[] | undefined) ?? []) {
      const rule = String(v.rule);
      for (const [, field] of rule.matchAll(/self\.([A-Za-z0-9_]+)(?!\w|\()/g)) {
        if (!rule.includes(`has(self.${field})`))
          problems.push(`${path}: self.${field} unguarded in ${rule}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

test('printer columns Ready, Reason, Feed, Symbols, Restarts, Age, and Error class, Last probe, Lease holder with -o wide, point at schema fields', () => {
  const [version] = (crd.spec as Node).versions as Node[];
  const columns = (version?.additionalPrinterColumns ?? []) as Node[];
  assert.deepEqual(
    columns.map((c) => [c.name, c.priority ?? 0]),
    [
      ['Ready', 0],
      ['Reason', 0],
      ['Feed', 0],
      ['Symbols', 0],
      ['Restarts', 0],
      ['Error class', 1],
      ['Last probe', 1],
      ['Lease holder', 1],
      ['Age', 0],
    ],
  );
  for (const c of columns) {
    const path = String(c.jsonPath);
    if (path.startsWith('.metadata.') || path.includes('[?(')) continue;
    let node: Node | undefined = root;
    for (const key of path.split('.').slice(1)) node = (node?.properties as Node | undefined)?.[key] as Node;
    assert.ok(node, `${c.name}: ${path} is not in the schema`);
    if (c.type === 'date')
      assert.deepEqual([node.type, node.format], ['string', 'date-time'], `${c.name}: type`);
    else assert.equal(node.type, c.type, `${c.name}: type`);
  }
});

test('operator/api/generated/alpacaforwarder.ts is up to date with the CRD', async () => {
  const target = TARGETS.find((t) => t.output === 'operator/api/generated/alpacaforwarder.ts');
  assert.ok(target, 'scripts/generate-types.ts has no CRD target');
  const file = fileURLToPath(new URL(`../../../../${target.output}`, import.meta.url));
  assert.equal(
    await readFile(file, 'utf8'),
    await render(target),
    'stale generated types: run node scripts/generate-types.ts',
  );
});

test('URL fields are checked by CEL rules only, whose messages name the field, never the value', () => {
  // A pattern failure makes the API server echo the value (a URL may hold a password or token); a
  // CEL rule reports only its message. So URL fields have no `pattern`: a format rule instead.
  // CEL's matches() is RE2; these expressions mean the same in JavaScript once the CEL string
  // escapes are undone and a leading (?i) becomes the i flag (Node 24 has (?i:)).
  const celRegex = (rule: string): RegExp => {
    const body = (/self\.matches\('(.*)'\)/.exec(rule)?.[1] ?? '^$').replaceAll('\\\\', '\\');
    return body.startsWith('(?i)') ? new RegExp(body.slice(4), 'i') : new RegExp(body);
  };
  const rulesOf = (n: Node) =>
    ((n['x-kubernetes-validations'] as Node[] | undefined) ?? []).map((v) => ({
      rule: String(v.rule),
      regex: celRegex(String(v.rule)),
      message: String(v.message),
    }));
  const urlFields = allNodes().filter(([n]) =>
    rulesOf(n).some((r) => /^self\.matches\('\^(wss|https)\?:/.test(r.rule)),
  );
  assert.deepEqual(urlFields.map(([, p]) => p).sort(), [
    '.spec.dataUrl',
    '.spec.streamUrl',
    '.spec.symbolsFrom.url',
    '.spec.tradeUpdates.streamUrl',
  ]);
  for (const [n, p] of urlFields) {
    assert.equal(n.pattern, undefined, `${p} has a pattern (its failure echoes the value)`);
    const rules = rulesOf(n);
    const format = rules.filter((r) => !r.rule.startsWith('!'));
    const forbidden = rules.filter((r) => r.rule.startsWith('!'));
    const scheme = format[0]?.rule.includes('wss') ? 'wss' : 'https';
    const refused = (url: string) =>
      format.some((r) => !r.regex.test(url)) || forbidden.some((r) => r.regex.test(url));
    assert.ok(!refused(`${scheme}://host.example:8443/v2`), `${p} accepts a plain URL`);
    for (const bad of [
      `${scheme}://user:hunter2@host.example/v2`,
      `${scheme}://tok3n@host.example`,
      `${scheme.toUpperCase()}://user:hunter2@host.example/v2`,
      'ftp://user:hunter2@host.example',
    ]) {
      assert.ok(refused(bad), `${p} refuses ${bad}`);
    }
    for (const r of rules) {
      assert.ok(r.message.startsWith(p.slice(1)), `${p}: the message names the field: ${r.message}`);
      assert.ok(!/hunter2|\$\{|self/.test(r.message), `${p}: a fixed message`);
    }
  }
  const symbolsFrom = urlFields.find(([, p]) => p === '.spec.symbolsFrom.url')?.[0] as Node;
  const rules = rulesOf(symbolsFrom);
  const refused = (url: string) =>
    rules.some((r) => (r.rule.startsWith('!') ? r.regex.test(url) : !r.regex.test(url)));
  for (const bad of [
    'https://jangar.example/symbols?token=abc',
    'https://jangar.example?token=abc',
    'https://jangar.example/symbols?universe=x&API_KEY=abc',
    'https://jangar.example/symbols?access_token=abc',
    'https://jangar.example/symbols?Password=abc',
    'https://jangar.example/symbols?x-api-key=abc',
    'https://jangar.example/symbols?X-Amz-Signature=abc',
    'https://jangar.example/symbols?client_secret=abc',
  ]) {
    assert.ok(refused(bad), bad);
  }
  for (const ok of [
    'https://jangar.example/symbols?universe=core&tokens_only=1',
    'https://jangar.example/keys/list',
    'https://jangar.example/symbols?monkey=1',
    'https://jangar.example?universe=core',
  ]) {
    assert.ok(!refused(ok), ok);
  }
  for (const r of rules.filter((x) => x.rule.startsWith('!')))
    assert.match(r.message, /spec\.symbolsFrom\.headersFrom/, 'points to the Secret-based header');
});

test('every spec and status field has a description (kubectl explain prints no <no description>)', () => {
  const missing: string[] = [];
  const visit = (node: Node, path: string): void => {
    if (typeof node.description !== 'string' || node.description.length < 3) missing.push(path);
    if (isNode(node.properties)) {
      for (const [k, v] of Object.entries(node.properties)) if (isNode(v)) visit(v, `${path}.${k}`);
    }
    // kubectl explain descends into object items; scalar items are described by their array.
    if (isNode(node.items) && node.items.type === 'object') visit(node.items, `${path}[]`);
  };
  const props = root.properties as Node;
  visit(props.spec as Node, '.spec');
  visit(props.status as Node, '.status');
  assert.deepEqual(missing, []);
});
