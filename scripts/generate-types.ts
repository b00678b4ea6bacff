/**
 * Generates committed TypeScript from JSON Schemas with json-schema-to-typescript.
 *   node scripts/generate-types.ts            write the outputs
 *   node scripts/generate-types.ts --check    exit 1 when an output is stale (used by a test)
 * Extend TARGETS with more (schema, output) pairs (e.g. the CRD's openAPIV3Schema).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile, type JSONSchema } from 'json-schema-to-typescript';
import { parse as parseYaml } from 'yaml';
import { selectAlpacaForwarderTypeSchema } from '../operator/api/type-schema.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface Target {
  /** JSON Schema file, relative to the project root. */
  schema: string;
  /** Generated .ts file, relative to the project root. */
  output: string;
  /** Root type name. */
  name: string;
  /** Optional: pick the schema out of a larger document (e.g. a CRD's openAPIV3Schema). */
  select?: (doc: unknown) => JSONSchema;
}

export const TARGETS: Target[] = [
  {
    schema: 'forwarder/schema/envelope.schema.json',
    output: 'forwarder/generated/envelope.ts',
    name: 'Envelope',
  },
  {
    schema: 'crds/alpacaforwarders.torghut.io.yaml',
    output: 'operator/api/generated/alpacaforwarder.ts',
    name: 'AlpacaForwarderSpecAndStatus',
    select: selectAlpacaForwarderTypeSchema,
  },
];

export async function render(target: Target): Promise<string> {
  // YAML 1.2 is a superset of JSON: one parser for JSON Schemas and CRDs.
  const doc: unknown = parseYaml(await readFile(resolve(ROOT, target.schema), 'utf8'));
  const schema = target.select ? target.select(doc) : (doc as JSONSchema);
  return compile(schema, target.name, {
    bannerComment: `/* Generated from ${target.schema} by scripts/generate-types.ts; do not edit. */`,
    additionalProperties: false,
    style: { singleQuote: true },
  });
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const stale: string[] = [];
  for (const target of TARGETS) {
    const want = await render(target);
    const path = resolve(ROOT, target.output);
    const have = await readFile(path, 'utf8').catch(() => null);
    if (have === want) continue;
    if (check) stale.push(target.output);
    else await writeFile(path, want);
  }
  if (stale.length > 0) {
    console.error(`stale generated files (run node scripts/generate-types.ts): ${stale.join(', ')}`);
    process.exit(1);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
