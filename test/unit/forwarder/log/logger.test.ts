import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { readEnv } from '../../../../forwarder/config/env.ts';
import { resolveConfig } from '../../../../forwarder/config/resolve.ts';
import { createLogger } from '../../../../forwarder/log/logger.ts';
import { baseEnv } from '../../../support/forwarder-env.ts';

test('secrets are redacted by configuration wherever they appear in a logged object', () => {
  const lines: string[] = [];
  const out = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger('debug', out);
  const { config } = resolveConfig(
    readEnv(
      baseEnv({
        KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
        KAFKA_SASL_USER: 'user',
        KAFKA_SASL_PASSWORD: 'kafka-pass-xyz',
      }),
    ),
    null,
  );
  logger.info({ config }, 'resolved config');
  logger
    .child({ stream: 'market_data' })
    .warn({ msg: { action: 'auth', key: 'PKTESTKEYID0001', secret: 'abc' } }, 'x');
  logger.debug({
    headers: { 'APCA-API-KEY-ID': 'PKTESTKEYID0001', 'APCA-API-SECRET-KEY': 'test-secret-value-0001' },
  });
  const text = lines.join('');
  assert.equal(lines.length, 3);
  for (const secret of ['kafka-pass-xyz', 'test-secret-value-0001', 'PKTESTKEYID0001', '"abc"']) {
    assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
  }
  assert.match(text, /\[redacted\]/);
  const first = JSON.parse(lines[0] as string);
  assert.equal(first.level, 'info');
  assert.equal(first.config.kafka.sasl.username, 'user', 'non-secret fields stay readable');
});

test('an err is logged as type, message, stack and code only, whatever else the error carries', () => {
  const lines: string[] = [];
  const out = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger('info', out);
  const err = Object.assign(new Error('page failed', { cause: new Error('socket hang up') }), {
    code: 'ECONNRESET',
    partialEvents: Array.from({ length: 1000 }, (_, i) => ({ S: 'AAPL', i })),
  });
  logger.warn({ err, masked_key_id: 'PKTE****' }, 'request failed');
  logger.warn({ err: 'KafkaJSConnectionError: refused' }, 'text error');
  const [first, second] = lines.map((l) => JSON.parse(l));
  assert.deepEqual(Object.keys(first.err).sort(), ['code', 'message', 'stack', 'type']);
  assert.equal(first.err.type, 'Error');
  assert.equal(first.err.code, 'ECONNRESET');
  assert.match(first.err.message, /page failed: socket hang up/);
  assert.match(first.err.stack, /caused by: Error: socket hang up/);
  assert.equal(first.masked_key_id, 'PKTE****', 'the masked key id field is not redacted');
  assert.equal(second.err, 'KafkaJSConnectionError: refused');
});
