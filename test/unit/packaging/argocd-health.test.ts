import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { ensureTool, projectRoot, run } from '../../support/tools.ts';
import { toLuaLiteral } from './lua-literal.ts';

const checkDir = path.join(projectRoot, 'config/argocd/health/torghut.io/AlpacaForwarder');
const healthScript = path.join(checkDir, 'health.lua');
const runner = path.join(projectRoot, 'test/unit/packaging/argocd-health-runner.lua');
const ARGOCD_CM_KEY = 'resource.customizations.health.torghut.io_AlpacaForwarder';

interface HealthCase {
  healthStatus: { status: string; message: string };
  inputPath: string;
}

async function healthCases(): Promise<HealthCase[]> {
  const doc = parse(await readFile(path.join(checkDir, 'health_test.yaml'), 'utf8')) as {
    tests: HealthCase[];
  };
  return doc.tests;
}

async function evaluate(lua: string, obj: unknown): Promise<{ status: string; message: string }> {
  const result = await run(lua, [runner, healthScript], { input: toLuaLiteral(obj) });
  assert.equal(result.code, 0, `health.lua failed: ${result.stderr}`);
  const newline = result.stdout.indexOf('\n');
  return { status: result.stdout.slice(0, newline), message: result.stdout.slice(newline + 1) };
}

describe('Argo CD health check for AlpacaForwarder (Lua 5.1)', () => {
  let lua = '';
  before(async () => {
    lua = await ensureTool('lua5.1');
  });

  test('every case in health_test.yaml gets its expected status and message', async () => {
    const cases = await healthCases();
    assert.ok(cases.length > 0);
    for (const c of cases) {
      const obj = parse(await readFile(path.join(checkDir, c.inputPath), 'utf8'));
      assert.deepEqual(await evaluate(lua, obj), c.healthStatus, c.inputPath);
    }
  });

  test('the cases cover Healthy, Progressing, Degraded (Degraded and Stalled) and Suspended', async () => {
    const cases = await healthCases();
    const statuses = new Set(cases.map((c) => c.healthStatus.status));
    assert.deepEqual([...statuses].sort(), ['Degraded', 'Healthy', 'Progressing', 'Suspended']);
    const degradedBy = cases
      .filter((c) => c.healthStatus.status === 'Degraded')
      .map((c) => c.healthStatus.message.split(':')[0]);
    assert.deepEqual([...new Set(degradedBy)].sort(), ['Degraded', 'Stalled']);
  });

  test('every file in testdata/ is a case, and every case names a file there', async () => {
    const files = (await readdir(path.join(checkDir, 'testdata'))).map((f) => `testdata/${f}`).sort();
    const inputs = (await healthCases()).map((c) => c.inputPath).sort();
    assert.deepEqual(inputs, files);
  });

  test('Stalled wins over Ready=True, and a stale Ready=True is Progressing until observed', async () => {
    const base = { metadata: { generation: 7 }, spec: {} };
    const readyTrue = { type: 'Ready', status: 'True', reason: 'Ready', message: 'streaming' };
    const stalled = { type: 'Stalled', status: 'True', reason: 'CredentialsInUse', message: 'key in use' };
    assert.deepEqual(
      await evaluate(lua, { ...base, status: { observedGeneration: 7, conditions: [readyTrue, stalled] } }),
      { status: 'Degraded', message: 'Stalled: CredentialsInUse: key in use' },
    );
    assert.deepEqual(
      await evaluate(lua, { ...base, status: { observedGeneration: 6, conditions: [readyTrue] } }),
      {
        status: 'Progressing',
        message: 'Waiting for the operator to observe generation 7 (observed 6)',
      },
    );
  });

  test('a status without conditions is Progressing, not an error', async () => {
    assert.deepEqual(
      await evaluate(lua, { metadata: { generation: 1 }, status: { observedGeneration: 1 } }),
      {
        status: 'Progressing',
        message: 'Waiting for the forwarder to become ready',
      },
    );
  });

  test('the runner has no string library, as in Argo CD: scripts that use it fail', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'health-probe-'));
    try {
      for (const body of ['string.upper("x")', '("x"):upper()', 'math.floor(1)']) {
        const probe = path.join(dir, 'probe.lua');
        await writeFile(probe, `return { status = ${body}, message = "" }\n`);
        const result = await run(lua, [runner, probe], { input: '{}' });
        assert.equal(result.code, 1, body);
        assert.match(result.stderr, /health script failed/, body);
      }
      const plain = path.join(dir, 'plain.lua');
      await writeFile(
        plain,
        'return { status = "Healthy", message = tostring(table.concat({"a", "b"}, "-")) }\n',
      );
      assert.deepEqual(await run(lua, [runner, plain], { input: '{}' }), {
        code: 0,
        stdout: 'Healthy\na-b',
        stderr: '',
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('the argocd-cm patch embeds exactly the tested health.lua under the Argo CD key', async () => {
    const patch = parse(
      await readFile(path.join(projectRoot, 'config/argocd/argocd-cm-patch.yaml'), 'utf8'),
    ) as {
      kind: string;
      metadata: { name: string; namespace: string };
      data: Record<string, string>;
    };
    assert.equal(patch.kind, 'ConfigMap');
    assert.deepEqual(patch.metadata, { name: 'argocd-cm', namespace: 'argocd' });
    assert.equal(patch.data[ARGOCD_CM_KEY], await readFile(healthScript, 'utf8'));
  });
});
