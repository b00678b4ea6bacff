import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, test } from 'node:test';
import { maskKeyId } from '../../../../forwarder/alpaca/secrets.ts';
import { createLogger } from '../../../../forwarder/log/logger.ts';
import { type FakeAlpaca, startFakeAlpaca } from './support/fake-alpaca.ts';
import { createHarness } from './support/harness.ts';

const servers: FakeAlpaca[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

test('maskKeyId keeps only a short prefix', () => {
  assert.equal(maskKeyId('PKABCDEFGHIJ'), 'PKAB****');
  assert.equal(maskKeyId('PK'), '****');
});

test('with the production logger, a session with auth, errors and reconnects logs the masked key id, never the secret or the full key id', async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  // The production logger: its redaction must not hide the masked key id (a `keyId` or `key_id` field would be).
  const logger = createLogger('trace', sink);
  let refuse = true;
  const srv = await startFakeAlpaca({
    onAuth: () =>
      refuse ? { T: 'error', code: 402, msg: 'auth failed' } : { T: 'success', msg: 'authenticated' },
  });
  servers.push(srv);
  const h = createHarness(
    { streamUrl: srv.url, credentials: { keyId: 'PKSECRETKEYID1234', secretKey: 'TOPSECRETVALUE' } },
    { logger },
  );
  h.stream.start();
  const err = await h.states.waitFor((s) => s.status === 'error');
  refuse = false;
  h.clock.advance((err.nextAttemptAtMs ?? 0) - h.clock.now());
  await h.states.waitFor((s) => s.status === 'healthy');
  await h.stream.stop();
  const text = lines.join('');
  const masked = lines
    .map((l) => JSON.parse(l) as { msg: string; masked_key_id?: string })
    .filter((l) => l.masked_key_id);
  assert.ok(masked.length > 0, 'the masked key id is logged');
  for (const l of masked) assert.equal(l.masked_key_id, 'PKSE****', `masked key id in "${l.msg}"`);
  assert.ok(!text.includes('TOPSECRETVALUE'));
  assert.ok(!text.includes('PKSECRETKEYID1234'));
});
