import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { FORWARDER_POD } from '../../../operator/desired/settings.ts';
import { ensureTool, projectRoot, run } from '../../support/tools.ts';

interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile instructions with line continuations joined and comments dropped. */
function instructions(text: string): Instruction[] {
  const joined = text.replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const space = l.indexOf(' ');
      return { op: l.slice(0, space).toUpperCase(), args: l.slice(space + 1).trim() };
    });
}

/** Instructions of the last stage (the image that ships). */
function finalStage(all: Instruction[]): Instruction[] {
  const lastFrom = all.map((i) => i.op).lastIndexOf('FROM');
  return all.slice(lastFrom);
}

const images = [
  {
    dockerfile: 'Dockerfile.forwarder',
    entry: 'dist/forwarder/main.js',
    bin: 'alpaca-forwarder',
    // Measured heap bounds (bench/README.md "Memory").
    v8: ['--max-semi-space-size=16', '--max-old-space-size=256'],
  },
  {
    dockerfile: 'Dockerfile.operator',
    entry: 'dist/operator/main.js',
    bin: 'alpaca-forwarder-operator',
    // Measured heap bounds (bench/operator, operator/controller/README.md "At scale").
    v8: ['--max-semi-space-size=2', '--max-old-space-size=160'],
  },
] as const;

describe('container images', () => {
  test('hadolint finds nothing in either Dockerfile', async () => {
    const hadolint = await ensureTool('hadolint');
    const result = await run(hadolint, ['--no-color', ...images.map((i) => i.dockerfile)]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
  });

  test('hadolint is live: it rejects an unpinned base image and a shell-form entry', async () => {
    const hadolint = await ensureTool('hadolint');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hadolint-'));
    try {
      const bad = path.join(dir, 'Dockerfile');
      await writeFile(bad, 'FROM node\nRUN cd /app && npm ci\nENTRYPOINT node main.js\n');
      const result = await run(hadolint, ['--no-color', bad]);
      assert.notEqual(result.code, 0);
      for (const rule of ['DL3006', 'DL3003', 'DL3025']) assert.match(result.stdout, new RegExp(rule));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  for (const image of images) {
    test(`${image.dockerfile}: pinned Node 24 build, distroless non-root runtime, exact entry`, async () => {
      const text = await readFile(path.join(projectRoot, image.dockerfile), 'utf8');
      const all = instructions(text);
      const nodeVersion = (await readFile(path.join(projectRoot, '.node-version'), 'utf8')).trim();
      const froms = all.filter((i) => i.op === 'FROM').map((i) => i.args);
      assert.deepEqual(froms, [
        `node:${nodeVersion}-bookworm-slim AS build`,
        'gcr.io/distroless/nodejs24-debian12:nonroot',
      ]);
      const build = all.slice(
        0,
        all.findIndex((i, n) => n > 0 && i.op === 'FROM'),
      );
      const runs = build.filter((i) => i.op === 'RUN').map((i) => i.args);
      assert.ok(
        runs.some((r) => r.startsWith('npm ci ')),
        'build stage installs with npm ci',
      );
      assert.ok(
        runs.some((r) => r.includes('tsc -p tsconfig.build.json') && r.includes('npm prune --omit=dev')),
        'build stage compiles with tsconfig.build.json and prunes dev dependencies',
      );

      const ship = finalStage(all);
      assert.ok(!ship.some((i) => i.op === 'RUN'), 'the runtime stage has no shell to RUN with');
      assert.deepEqual(
        ship.filter((i) => i.op === 'USER').map((i) => i.args),
        ['65532:65532'],
      );
      assert.equal(ship.at(-1)?.op, 'ENTRYPOINT', 'ENTRYPOINT is the last instruction');
      assert.deepEqual(JSON.parse(ship.at(-1)?.args ?? ''), [
        '/nodejs/bin/node',
        '--enable-source-maps',
        ...image.v8,
        image.entry,
      ]);
      const copies = ship.filter((i) => i.op === 'COPY').map((i) => i.args);
      assert.deepEqual(copies, [
        '--from=build /app/package.json ./package.json',
        '--from=build /app/node_modules ./node_modules',
        '--from=build /app/dist ./dist',
      ]);
      const labels = ship
        .filter((i) => i.op === 'LABEL')
        .map((i) => i.args)
        .join(' ');
      for (const key of ['title', 'description', 'version', 'revision']) {
        assert.match(labels, new RegExp(`org\\.opencontainers\\.image\\.${key}=`), key);
      }
    });

    test(`${image.dockerfile}: the entry is the package's ${image.bin} bin`, async () => {
      const pkg = JSON.parse(await readFile(path.join(projectRoot, 'package.json'), 'utf8')) as {
        bin: Record<string, string>;
      };
      assert.equal(pkg.bin[image.bin], image.entry);
    });
  }

  test('.dockerignore admits exactly what the build stages copy', async () => {
    const ignore = (await readFile(path.join(projectRoot, '.dockerignore'), 'utf8'))
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    assert.equal(ignore[0], '*', 'deny everything first');
    const admitted = ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1));
    const copied = new Set<string>();
    for (const image of images) {
      const all = instructions(await readFile(path.join(projectRoot, image.dockerfile), 'utf8'));
      for (const copy of all.filter((i) => i.op === 'COPY' && !i.args.startsWith('--from='))) {
        const parts = copy.args.split(/\s+/);
        for (const source of parts.slice(0, -1)) copied.add(source.replace(/\/$/, ''));
      }
    }
    assert.deepEqual([...copied].sort(), [...admitted].sort());
    assert.ok(ignore.includes('**/*.test.ts'), 'test files stay out of the images');
  });

  test('the forwarder image user is the one the operator runs the forwarder pod as', async () => {
    const ship = finalStage(
      instructions(await readFile(path.join(projectRoot, 'Dockerfile.forwarder'), 'utf8')),
    );
    const user = ship.find((i) => i.op === 'USER')?.args;
    assert.equal(user, `${FORWARDER_POD.runAsUser}:${FORWARDER_POD.runAsUser}`);
  });
});
