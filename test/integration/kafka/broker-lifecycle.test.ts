/**
 * The test broker's own lifecycle on private brokers (not the shared one): stop and start again
 * on the same ports with the same data, and start failures that name what failed and keep the log.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { test } from 'node:test';
import {
  createTopics,
  KafkaStartError,
  readTopic,
  startPrivateKafka,
  testKafka,
} from '../../infra/kafka/index.ts';

test('a private broker stops and starts again on the same ports with its data', async () => {
  const broker = await startPrivateKafka();
  try {
    const before = broker.info;
    await createTopics(before, ['lifecycle']);
    const producer = testKafka(before).producer({ idempotent: true });
    await producer.connect();
    await producer.send({ topic: 'lifecycle', acks: -1, messages: [{ key: 'a', value: 'before' }] });
    await producer.disconnect();

    await broker.stopBroker();
    assert.equal(broker.isRunning(), false);
    await broker.startBroker();
    assert.equal(broker.isRunning(), true);
    const after = broker.info;
    assert.deepEqual(after.data.listeners, before.data.listeners, 'same ports after restart');
    assert.notEqual(after.data.pid, before.data.pid, 'a new JVM');

    const p2 = testKafka(after, 'SASL_SSL').producer({ idempotent: true });
    await p2.connect();
    await p2.send({ topic: 'lifecycle', acks: -1, messages: [{ key: 'a', value: 'after' }] });
    await p2.disconnect();
    const got = await readTopic(after, 'lifecycle');
    assert.deepEqual(
      got.map((r) => r.value),
      ['before', 'after'],
    );
  } finally {
    const dir = broker.info.data.dir;
    await broker.stop();
    assert.equal(existsSync(dir), false, 'stop() removes the temp dir');
  }
});

test('a broker JVM that exits at start is reported with its log file kept', async () => {
  const err = await startPrivateKafka({ heap: { min: '256m', max: '64m' } }).then(
    async (b) => {
      await b.stop();
      assert.fail('a broker with min heap > max heap started');
    },
    (e: unknown) => e,
  );
  assert.ok(err instanceof KafkaStartError, String(err));
  assert.match(err.message, /JVM exited/);
  assert.ok(err.message.includes(err.logFile), 'the message names the log file');
  assert.ok(existsSync(err.logFile), 'the log file is kept');
  assert.match(await readFile(err.logFile, 'utf8'), /heap/i);
});

test('a listener port already taken is reported as such, with the log file', async () => {
  const blocker: Server = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const taken = (blocker.address() as { port: number }).port;
  const free = await new Promise<number[]>((resolve) => {
    const servers = [createServer(), createServer(), createServer()];
    let n = 0;
    for (const s of servers)
      s.listen(0, '127.0.0.1', () => {
        if (++n === servers.length) {
          const ports = servers.map((x) => (x.address() as { port: number }).port);
          for (const x of servers) x.close();
          resolve(ports);
        }
      });
  });
  try {
    const err = await startPrivateKafka({
      ports: {
        PLAINTEXT: free[0] as number,
        SASL_PLAINTEXT: free[1] as number,
        SASL_SSL: taken,
        CONTROLLER: free[2] as number,
      },
    }).then(
      async (b) => {
        await b.stop();
        assert.fail('a broker started on a taken port');
      },
      (e: unknown) => e,
    );
    assert.ok(err instanceof KafkaStartError, String(err));
    assert.match(err.message, /port was already taken/);
    assert.ok(err.message.includes(err.logFile));
    assert.ok(existsSync(err.logFile));
  } finally {
    blocker.close();
  }
});

test('a broker not ready within the bound is stopped and reported with its log file', async () => {
  const err = await startPrivateKafka({ readyTimeoutMs: 1 }).then(
    async (b) => {
      await b.stop();
      assert.fail('readiness within 1 ms');
    },
    (e: unknown) => e,
  );
  assert.ok(err instanceof KafkaStartError, String(err));
  assert.match(
    err.message,
    /did not answer an admin describeCluster on listener\(s\) PLAINTEXT, SASL_PLAINTEXT, SASL_SSL within 1 ms/,
  );
  assert.ok(existsSync(err.logFile));
});
