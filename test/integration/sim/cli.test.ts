import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TestClient } from './ws-client.ts';

const CLI = fileURLToPath(new URL('../../sim/alpaca/cli.ts', import.meta.url));

test('cli: prints URLs and keys as one JSON line, streams generated data, stops cleanly on SIGTERM', async () => {
  const child = spawn(
    process.execPath,
    [CLI, '--port', '0', '--rate', '200', '--symbols', 'AAPL,MSFT', '--account', 'PKCLI:SKCLI'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const exited = once(child, 'exit');
  try {
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = await lines.next();
    const info = JSON.parse(String(first.value));
    assert.match(info.urls.stream, /^ws:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(info.accounts, [{ keyId: 'PKCLI', secretKey: 'SKCLI', feeds: null }]);
    const human = await lines.next();
    assert.match(String(human.value), /^alpaca simulator: stream ws:\/\/127\.0\.0\.1:\d+\/v2\/iex/);

    const c = new TestClient(`${info.urls.stream}/v2/iex`);
    assert.deepEqual(await c.login('PKCLI', 'SKCLI'), [{ T: 'success', msg: 'authenticated' }]);
    c.send({ action: 'subscribe', trades: ['*'], quotes: ['*'] });
    assert.equal((await c.next())[0]?.T, 'subscription');
    const data = await c.next();
    assert.ok(
      data.every((m) => ['t', 'q', 'c', 'x'].includes(String(m.T)) && (m.S === 'AAPL' || m.S === 'MSFT')),
    );

    child.kill('SIGTERM');
    const closed = await c.closed;
    assert.equal(closed.code, 1001);
    const [code] = await exited;
    assert.equal(code, 0);
    const last = await lines.next();
    assert.equal(JSON.parse(String(last.value)).msg, 'alpaca simulator stopped');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('cli: bad arguments exit 2 naming each problem', async () => {
  const child = spawn(process.execPath, [CLI, '--port', 'x', '--account', 'nosecret', '--frobnicate'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += String(d);
  });
  const [code] = await once(child, 'exit');
  assert.equal(code, 2);
  assert.match(stderr, /--port: expected an integer/);
  assert.match(stderr, /--account: expected KEY:SECRET/);
  assert.match(stderr, /unknown argument "--frobnicate"/);
});
