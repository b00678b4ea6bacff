import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ensureTool, projectRoot, run } from '../../support/tools.ts';
import { toLuaLiteral } from './lua-literal.ts';

test('toLuaLiteral round-trips awkward strings, numbers, lists and nulls through Lua 5.1', async () => {
  const lua = await ensureTool('lua5.1');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lua-literal-'));
  try {
    const probe = path.join(dir, 'probe.lua');
    // Echoes obj.text, the list length, obj.n + 1 and whether obj.gone is absent.
    await writeFile(
      probe,
      'return { status = "ok", message = obj.text .. "|" .. #obj.list .. "|" .. (obj.n + 1) .. "|" .. tostring(obj.gone == nil) }\n',
    );
    const text = 'quote " back \\ nl \n tab \t bell \u0007 then 12 ünï €';
    const result = await run(
      lua,
      [path.join(projectRoot, 'test/unit/packaging/argocd-health-runner.lua'), probe],
      { input: toLuaLiteral({ text, list: ['a', 2, true, { x: 1 }], n: 41, gone: null }) },
    );
    assert.equal(result.stderr, '');
    assert.equal(result.stdout, `ok\n${text}|4|42|true`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('toLuaLiteral rejects values Lua cannot hold', () => {
  assert.throws(() => toLuaLiteral(Number.NaN), /NaN/);
  assert.throws(() => toLuaLiteral([1, null]), /null items/);
});
