import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { projectRoot } from '../../support/tools.ts';

/**
 * The layering of design §2, enforced: lib/ (shared runtime) imports neither program; contracts/
 * (what the operator and the forwarder agree on) imports only lib/; the forwarder and the
 * operator import each other never, lib/ and contracts/ freely; the simulator imports neither
 * program (its image copies test/sim only).
 */
const RULES: Record<string, string[]> = {
  lib: ['lib'],
  contracts: ['contracts', 'lib'],
  forwarder: ['forwarder', 'contracts', 'lib'],
  operator: ['operator', 'contracts', 'lib'],
  'test/sim': ['test/sim'],
};

/** The layer a repo-relative path belongs to, or null when no rule covers it. */
function layerOf(rel: string): string | null {
  for (const layer of Object.keys(RULES).sort((a, b) => b.length - a.length))
    if (rel === layer || rel.startsWith(`${layer}/`)) return layer;
  return null;
}

const SPEC =
  /(?:^|[\s;}])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;

/** The relative import specifiers of a source text (packages and node: builtins are not layers). */
export function relativeImports(source: string): string[] {
  return [...source.matchAll(SPEC)]
    .map((m) => m[1] ?? m[2] ?? m[3] ?? '')
    .filter((s) => s.startsWith('./') || s.startsWith('../'));
}

/** A violation message for `spec` imported from `file` (repo-relative), or null when allowed. */
export function violation(file: string, spec: string): string | null {
  const from = layerOf(file);
  if (from === null) return null;
  const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
  const to = layerOf(target);
  const allowed = RULES[from] ?? [];
  if (to !== null && allowed.includes(to)) return null;
  return `${file} imports ${target}: ${from}/ may import only ${allowed.map((l) => `${l}/`).join(', ')}`;
}

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(path.join(projectRoot, dir), { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.relative(projectRoot, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
}

describe('import rules (design §2)', () => {
  test('the checker is live: it refuses each kind of crossing and allows the permitted ones', () => {
    assert.match(
      violation('operator/desired/deployment.ts', '../../forwarder/config/env.ts') ?? '',
      /operator\/ may import only/,
    );
    assert.match(
      violation('forwarder/app/run.ts', '../../operator/metrics.ts') ?? '',
      /forwarder\/ may import only/,
    );
    assert.match(
      violation('lib/lease/elector.ts', '../../contracts/readiness.ts') ?? '',
      /lib\/ may import only lib\//,
    );
    assert.match(
      violation('contracts/readiness.ts', '../forwarder/health/readiness.ts') ?? '',
      /contracts\//,
    );
    assert.match(
      violation('test/sim/alpaca/server.ts', '../../../forwarder/alpaca/types.ts') ?? '',
      /test\/sim\//,
    );
    assert.match(violation('operator/main.ts', '../scripts/x.ts') ?? '', /operator\/ may import only/);
    assert.equal(violation('operator/controller/runtime.ts', '../../lib/lease/elector.ts'), null);
    assert.equal(violation('operator/status/probe.ts', '../../contracts/readiness.ts'), null);
    assert.equal(violation('forwarder/lease/setup.ts', '../../lib/time/clock.ts'), null);
    assert.equal(violation('test/unit/x.test.ts', '../../operator/main.ts'), null, 'tests are not a layer');
    assert.deepEqual(
      relativeImports(
        "import a from './a.ts';\nimport type { B } from '../b.ts';\nexport { c } from './c.ts';\nimport './side.ts';\nconst d = await import('../d.ts');\nimport { e } from 'pino';",
      ),
      ['./a.ts', '../b.ts', './c.ts', './side.ts', '../d.ts'],
    );
  });

  test('no source file crosses a layer', async () => {
    const files = (await Promise.all(Object.keys(RULES).map((dir) => sources(dir)))).flat();
    assert.ok(files.length > 100, `found ${files.length} source files`);
    const problems: string[] = [];
    for (const file of files) {
      const text = await readFile(path.join(projectRoot, file), 'utf8');
      for (const spec of relativeImports(text)) {
        const v = violation(file, spec);
        if (v !== null) problems.push(v);
      }
    }
    assert.deepEqual(problems, []);
  });
});
