import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cp, mkdir, readdir, readFile, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { projectRoot, run } from '../../support/tools.ts';

/**
 * What the Dockerfiles run: `tsc -p tsconfig.build.json` (here into a private outDir under the
 * ignored .tmp/, so concurrent runs and a developer's dist/ are untouched), then the entries of
 * package.json "bin" from the compiled output.
 */
const outDir = path.join(projectRoot, '.tmp', `build-test-${randomBytes(4).toString('hex')}`);

async function jsFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.js'))
    .map((e) => path.join(e.parentPath, e.name));
}

/** The compiled path of a package.json bin entry (dist/x.js → <outDir>/x.js). */
async function compiledBin(name: string): Promise<string> {
  const pkg = JSON.parse(await readFile(path.join(projectRoot, 'package.json'), 'utf8')) as {
    bin: Record<string, string>;
  };
  const entry = pkg.bin[name] ?? '';
  assert.ok(entry.startsWith('dist/'), `package.json bin ${name} points into dist/`);
  return path.join(outDir, entry.slice('dist/'.length));
}

describe('production build (tsconfig.build.json)', () => {
  let build = { code: -1, stdout: '', stderr: '' };
  before(async () => {
    build = await run(path.join(projectRoot, 'node_modules/.bin/tsc'), [
      '-p',
      'tsconfig.build.json',
      '--outDir',
      outDir,
    ]);
  });
  after(async () => {
    await rm(outDir, { recursive: true, force: true });
  });

  test('tsc -p tsconfig.build.json compiles without errors and emits no test files', async () => {
    assert.equal(build.code, 0, build.stdout + build.stderr);
    const files = await jsFiles(outDir);
    assert.ok(files.length > 0);
    assert.deepEqual(
      files.filter((f) => f.endsWith('.test.js')),
      [],
    );
    // The Dockerfiles copy only lib/, contracts/, forwarder/ and operator/: the build needs nothing else.
    const top = new Set(files.map((f) => path.relative(outDir, f).split(path.sep)[0]));
    assert.deepEqual([...top].sort(), ['contracts', 'forwarder', 'lib', 'operator']);
  });

  test('every relative import in the output names a .js file that was emitted', async () => {
    assert.equal(build.code, 0);
    const specifier = /(?:\bfrom\s*|\bimport\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g;
    const files = await jsFiles(outDir);
    const emitted = new Set(files);
    const missing: string[] = [];
    for (const file of files) {
      for (const m of (await readFile(file, 'utf8')).matchAll(specifier)) {
        const target = path.resolve(path.dirname(file), m[1] as string);
        if (!emitted.has(target)) missing.push(`${path.relative(outDir, file)} -> ${m[1]}`);
      }
    }
    assert.deepEqual(missing, []);
  });

  test('the output imports only node: builtins and production dependencies (the image prunes dev ones)', async () => {
    assert.equal(build.code, 0);
    const pkg = JSON.parse(await readFile(path.join(projectRoot, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const bare = /(?:\bfrom\s*|\bimport\s*\(\s*)['"]([^'".][^'"]*)['"]/g;
    const wrong: string[] = [];
    for (const file of await jsFiles(outDir)) {
      for (const m of (await readFile(file, 'utf8')).matchAll(bare)) {
        const spec = m[1] as string;
        if (spec.startsWith('node:')) continue;
        const name = spec.startsWith('@')
          ? spec.split('/').slice(0, 2).join('/')
          : (spec.split('/')[0] as string);
        if (!(name in pkg.dependencies)) wrong.push(`${path.relative(outDir, file)} imports ${spec}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  test('the compiled forwarder entry starts and rejects an empty configuration by name, exit 2', async () => {
    assert.equal(build.code, 0);
    const entry = await compiledBin('alpaca-forwarder');
    const result = await run(process.execPath, [entry], { env: { PATH: process.env.PATH ?? '' } });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /invalid forwarder configuration/);
    assert.match(result.stderr, /ALPACA_KEY_ID/);
    assert.match(result.stderr, /KAFKA_BOOTSTRAP/);
  });

  test('the compiled operator entry starts and rejects a missing FORWARDER_IMAGE by name, exit 1', async () => {
    assert.equal(build.code, 0);
    const entry = await compiledBin('alpaca-forwarder-operator');
    const result = await run(process.execPath, [entry], { env: { PATH: process.env.PATH ?? '' } });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /"level":"fatal"/);
    assert.match(result.stderr, /FORWARDER_IMAGE/);
  });

  /** The source directories a Dockerfile's build stage copies (`COPY dir/ dir/`). */
  async function copiedDirs(dockerfile: string): Promise<string[]> {
    const text = await readFile(path.join(projectRoot, dockerfile), 'utf8');
    return [...text.matchAll(/^COPY ([a-z]+)\/ \1\/$/gm)].map((m) => m[1] as string);
  }

  for (const image of [
    {
      dockerfile: 'Dockerfile.forwarder',
      entry: 'dist/forwarder/main.js',
      dirs: ['lib', 'contracts', 'forwarder'],
    },
    {
      dockerfile: 'Dockerfile.operator',
      entry: 'dist/operator/main.js',
      dirs: ['lib', 'contracts', 'operator'],
    },
  ]) {
    test(`${image.dockerfile} compiles from only what it copies (${image.dirs.join(', ')}; no tests)`, async () => {
      assert.deepEqual(await copiedDirs(image.dockerfile), image.dirs);
      const stage = path.join(projectRoot, '.tmp', `image-stage-${randomBytes(4).toString('hex')}`);
      try {
        await mkdir(stage, { recursive: true });
        for (const file of ['package.json', 'tsconfig.json', 'tsconfig.build.json']) {
          await cp(path.join(projectRoot, file), path.join(stage, file));
        }
        for (const dir of image.dirs) {
          await cp(path.join(projectRoot, dir), path.join(stage, dir), {
            recursive: true,
            filter: (source) => !source.endsWith('.test.ts'),
          });
        }
        await symlink(path.join(projectRoot, 'node_modules'), path.join(stage, 'node_modules'), 'dir');
        const result = await run(
          path.join(projectRoot, 'node_modules/.bin/tsc'),
          ['-p', 'tsconfig.build.json'],
          {
            cwd: stage,
          },
        );
        assert.equal(result.code, 0, result.stdout + result.stderr);
        const emitted = await jsFiles(path.join(stage, 'dist'));
        assert.ok(emitted.includes(path.join(stage, image.entry)));
      } finally {
        await rm(stage, { recursive: true, force: true });
      }
    });
  }
});
