/**
 * The whole system on the local control plane (one stack for the file): the samples applied with
 * kubectl become Ready and stream valid envelopes; a symbol edit changes subscriptions on the live
 * connection without rolling the pod; a zombie client holding the Alpaca slot leads to exactly one
 * operator restart after stuckAfterSeconds; wrong Kafka credentials show kafka_auth until the
 * Secret is fixed, which rolls the pod. Each scenario uses its own namespace, resource and
 * simulator account, so the three groups run concurrently; each ends with the no-secret check.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ANNOTATION_RESTARTED_AT, ANNOTATION_SECRET_HASH } from '../../../operator/desired/names.ts';
import { applySamples, SAMPLE_NAMESPACE } from '../../infra/local-stack/samples.ts';
import { envelopeProblems, marketEnvelopes, parseEnvelope } from './envelopes.ts';
import { type E2eStack, startE2eStack } from './fixture.ts';
import {
  condition,
  eventsFor,
  replicaSets,
  waitForAf,
  waitForConfigMap,
  waitForDeployment,
  waitReady,
} from './kube.ts';
import { alpacaSecret, forwarder, namespace, secret } from './resources.ts';
import { assertNoSecretLeaks } from './secret-leaks.ts';
import { authEvents, frameMessages, isSubscriptionReply, waitForSubscribed } from './sim-waits.ts';
import { startZombie } from './zombie.ts';

const IEX_SAMPLE_SYMBOLS = ['AAPL', 'MSFT', 'NVDA', 'AMZN', 'GOOGL', 'META', 'TSLA', 'SPY', 'QQQ'];
const ADDED = 'AMD';
const REMOVED = 'QQQ';
/** Safety nets only: every wait ends on the event it awaits. */
const READY_TIMEOUT = 240_000;
const KAFKA_TIMEOUT = 120_000;

let e: E2eStack;

before(
  async () => {
    e = await startE2eStack(['zombie', 'kafkaauth']);
    // Market data for the iex-equities sample (and the symbol the edit adds); FAKEPACA is always on.
    e.sim.generate({ eventsPerSecond: 20, symbols: [...IEX_SAMPLE_SYMBOLS, ADDED] });
  },
  { timeout: 300_000 },
);

after(async () => {
  await e?.stop();
});

/** Pushes `n` trades of `symbol` with ids from `firstId` and waits until all are in Kafka. */
async function tradesArrive(symbol: string, firstId: number, n: number): Promise<void> {
  const ids = Array.from({ length: n }, (_, i) => firstId + i);
  e.sim.push(ids.map((i) => e.sim.data.trade(symbol, { i })));
  await e.kafka.waitFor(
    (records) => {
      const seen = new Set(
        marketEnvelopes(records, symbol)
          .filter((p) => p.envelope.channel === 'trades')
          .map((p) => p.envelope.payload.i),
      );
      return ids.every((i) => seen.has(i)) ? true : undefined;
    },
    { timeoutMs: KAFKA_TIMEOUT, what: `${n} ${symbol} trades from id ${firstId} in Kafka` },
  );
  assert.deepEqual(envelopeProblems(e.kafka.records, [symbol]), []);
}

describe('local stack end to end', { concurrency: true }, () => {
  describe('the samples', { concurrency: false }, () => {
    test('applied with kubectl, both become Ready and stream valid envelopes', {
      timeout: 420_000,
    }, async () => {
      const names = await applySamples(e.stack);
      assert.deepEqual(names, ['fakepaca', 'iex-equities']);
      await Promise.all(names.map((n) => waitReady(e.kc, SAMPLE_NAMESPACE, n, READY_TIMEOUT)));

      const symbols = ['FAKEPACA', ...IEX_SAMPLE_SYMBOLS];
      await e.kafka.waitFor(
        (records) => (symbols.every((s) => marketEnvelopes(records, s).length >= 2) ? true : undefined),
        { timeoutMs: KAFKA_TIMEOUT, what: `two envelopes for each of ${symbols.join(', ')}` },
      );
      const records = [...e.kafka.records];
      assert.deepEqual(envelopeProblems(records, symbols), []);
      for (const s of symbols) {
        for (const { envelope } of marketEnvelopes(records, s))
          assert.equal(envelope.feed, s === 'FAKEPACA' ? 'test' : 'iex', `feed of ${s}`);
      }

      const table = await e.stack.kubectl(['get', 'af', '-n', SAMPLE_NAMESPACE]);
      const [header, ...rows] = table
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s+/));
      assert.deepEqual(header, ['NAME', 'READY', 'REASON', 'FEED', 'SYMBOLS', 'RESTARTS', 'AGE']);
      assert.deepEqual(
        rows.map((r) => r.slice(0, 6)),
        [
          ['fakepaca', 'True', 'Streaming', 'test', '1', '0'],
          ['iex-equities', 'True', 'Streaming', 'iex', '9', '0'],
        ],
      );
      await assertNoSecretLeaks(e.kc, e.logs, e.secretValues);
    });

    test('a symbol edit with kubectl patch changes subscriptions on the same connection, without a rollout', {
      timeout: 300_000,
    }, async () => {
      const name = 'iex-equities';
      const keyId = e.stack.alpaca.accounts[1]?.keyId ?? '';
      const live = e.sim.log
        .connectionList()
        .filter((c) => c.kind === 'market' && c.keyId === keyId && c.closedAt === null);
      assert.equal(live.length, 1, 'one live market-data connection for the sample account');
      const connId = live[0]?.id ?? -1;
      const templateBefore = await waitForDeployment(e.kc, SAMPLE_NAMESPACE, name, (d) => d.spec?.template, {
        timeoutMs: 30_000,
        what: 'its pod template',
      });
      const replicaSetsBefore = (await replicaSets(e.kc, SAMPLE_NAMESPACE, name)).map(
        (r) => r.metadata?.name,
      );
      const configBefore = await waitForConfigMap(e.kc, SAMPLE_NAMESPACE, name, (cm) => cm.data, {
        timeoutMs: 30_000,
        what: 'its data',
      });
      const mark = e.sim.log.mark();

      const symbols = [...IEX_SAMPLE_SYMBOLS.filter((s) => s !== REMOVED), ADDED];
      const patched = await e.stack.kubectl([
        '-n',
        SAMPLE_NAMESPACE,
        'patch',
        'af',
        name,
        '--type',
        'merge',
        '-p',
        JSON.stringify({ spec: { symbols } }),
        '-o',
        'jsonpath={.metadata.generation}',
      ]);
      const generation = Number(patched);
      await waitForAf(
        e.kc,
        SAMPLE_NAMESPACE,
        name,
        (af) => (af.status?.observedGeneration === generation ? af : undefined),
        { timeoutMs: 120_000, what: `status.observedGeneration ${generation}` },
      );
      const configAfter = await waitForConfigMap(
        e.kc,
        SAMPLE_NAMESPACE,
        name,
        (cm) => {
          const text = JSON.stringify(cm.data ?? {});
          return text.includes(ADDED) && !text.includes(REMOVED) ? cm.data : undefined;
        },
        { timeoutMs: 60_000, what: `${ADDED} in and ${REMOVED} out of the config` },
      );
      assert.notDeepEqual(configAfter, configBefore);

      // Subscribe and unsubscribe on the live socket, confirmed by the simulator.
      const wait = { since: mark, timeoutMs: 120_000 };
      const listed = (m: Record<string, unknown>, s: string) =>
        ['trades', 'quotes', 'bars'].some((ch) => Array.isArray(m[ch]) && (m[ch] as string[]).includes(s));
      await e.sim.log.waitForMessage(connId, 'in', (m) => m.action === 'subscribe' && listed(m, ADDED), wait);
      await e.sim.log.waitForMessage(
        connId,
        'in',
        (m) => m.action === 'unsubscribe' && listed(m, REMOVED),
        wait,
      );
      const reply = await e.sim.log.waitFor(
        (ev) =>
          ev.type === 'frame' &&
          ev.connId === connId &&
          ev.dir === 'out' &&
          frameMessages(ev).some((m) =>
            isSubscriptionReply(m, (trades) => trades.includes(ADDED) && !trades.includes(REMOVED)),
          ),
        { ...wait, what: `a subscription reply with ${ADDED} and without ${REMOVED}` },
      );

      // After the change: the ADDED symbol streams into Kafka, REMOVED does not any more.
      e.sim.push([e.sim.data.trade(REMOVED, { i: 424242 }), e.sim.data.trade(ADDED, { i: 424242 })]);
      await e.kafka.waitFor(
        (records) =>
          marketEnvelopes(records, ADDED).some((p) => p.envelope.payload.i === 424242) ? true : undefined,
        { timeoutMs: KAFKA_TIMEOUT, what: `the ${ADDED} marker trade in Kafka` },
      );
      const since = e.sim.log.eventsSince(mark);
      const afterReply = since.slice(since.indexOf(reply) + 1);
      assert.deepEqual(
        afterReply
          .filter((ev) => ev.type === 'frame' && ev.connId === connId && ev.dir === 'out')
          .flatMap(frameMessages)
          .filter((m) => m.S === REMOVED),
        [],
        `the simulator sent nothing for ${REMOVED} after the unsubscribe`,
      );
      const removed = marketEnvelopes(e.kafka.records, REMOVED);
      assert.ok(removed.length > 0, `${REMOVED} streamed before the edit`);
      assert.equal(
        removed.some((p) => p.envelope.payload.i === 424242),
        false,
        `no ${REMOVED} trade pushed after the unsubscribe reached Kafka`,
      );
      for (const p of removed)
        assert.ok(
          Date.parse(p.envelope.event_ts) <= reply.at,
          `${REMOVED} envelope with event_ts ${p.envelope.event_ts} is older than the unsubscribe`,
        );
      assert.ok(marketEnvelopes(e.kafka.records, ADDED).length > 0);
      assert.deepEqual(envelopeProblems(e.kafka.records, [ADDED, REMOVED]), []);

      // Same connection, no reconnect; same pod template, no new ReplicaSet.
      assert.equal(e.sim.log.connection(connId).closedAt, null, 'the connection is still open');
      assert.deepEqual(
        since.filter((ev) => ev.type === 'auth' && ev.keyId === keyId),
        [],
        'no new authentication (no reconnect)',
      );
      const templateAfter = await waitForDeployment(e.kc, SAMPLE_NAMESPACE, name, (d) => d.spec?.template, {
        timeoutMs: 30_000,
        what: 'its pod template',
      });
      assert.deepEqual(templateAfter, templateBefore, 'the pod template did not change');
      assert.deepEqual(
        (await replicaSets(e.kc, SAMPLE_NAMESPACE, name)).map((r) => r.metadata?.name),
        replicaSetsBefore,
        'no new ReplicaSet',
      );
      await assertNoSecretLeaks(e.kc, e.logs, e.secretValues);
    });
  });

  test('a zombie client holding the Alpaca slot: 406, exactly one operator restart, then Ready', {
    timeout: 600_000,
  }, async () => {
    const ns = 'e2e-406';
    const name = 'held';
    const symbol = 'ZMBE';
    const account = e.accounts.zombie;
    assert.ok(account);
    const zombie = await startZombie(e.sim, e.sim.streamUrl('iex'), account);
    await e.apply(
      namespace(ns),
      alpacaSecret(ns, account),
      forwarder(e, ns, name, [symbol], { restartPolicy: { on406: { stuckAfterSeconds: 91 } } }),
    );

    const degraded = await waitForAf(
      e.kc,
      ns,
      name,
      (af) =>
        af.status?.errorClass === 'alpaca_406_second_connection' &&
        condition(af, 'Degraded')?.status === 'True' &&
        condition(af, 'Degraded')?.reason === 'alpaca_406_second_connection'
          ? af
          : undefined,
      { timeoutMs: READY_TIMEOUT, what: 'Degraded with errorClass alpaca_406_second_connection' },
    );
    assert.equal(condition(degraded, 'Ready')?.status, 'False');
    assert.equal(degraded.status?.restarts?.count ?? 0, 0);
    assert.ok(
      authEvents(e.sim, account.keyId).some((a) => a.connId !== zombie.connId && a.outcome === 406),
      'the forwarder was refused with 406',
    );
    const firstPods = e.logs.podsIn(ns);
    assert.equal(firstPods.length, 1);

    // After stuckAfterSeconds (91 s of real time) the operator restarts the pod.
    const restarted = await waitForAf(
      e.kc,
      ns,
      name,
      (af) => ((af.status?.restarts?.count ?? 0) >= 1 ? af : undefined),
      { timeoutMs: 300_000, what: 'status.restarts.count 1' },
    );
    const restartMark = e.sim.log.mark();
    await zombie.close();
    const restartedAt = restarted.status?.restarts?.restartedAt;
    assert.ok(restartedAt);
    assert.match(restarted.status?.restarts?.lastReason ?? '', /alpaca_406_second_connection held for \d+ s/);

    const ready = await waitReady(e.kc, ns, name, 300_000);
    assert.equal(ready.status?.restarts?.count, 1, 'exactly one restart');
    assert.equal(ready.status?.restarts?.restartedAt, restartedAt);
    const dep = await waitForDeployment(e.kc, ns, name, (d) => d, { timeoutMs: 30_000, what: 'exists' });
    assert.equal(dep.spec?.template.metadata?.annotations?.[ANNOTATION_RESTARTED_AT], restartedAt);
    assert.equal(
      (await replicaSets(e.kc, ns, name)).length,
      2,
      'one ReplicaSet before, one after the restart',
    );
    const restartEvents = (await eventsFor(e.kc, ns, name)).filter((ev) => ev.reason === 'RestartTriggered');
    assert.equal(restartEvents.length, 1, 'one RestartTriggered Event');
    assert.equal(restartEvents[0]?.series?.count ?? 1, 1, 'the Event is not a repeated series');
    assert.equal(restartEvents[0]?.type, 'Warning');

    // The runner stopped the old pod (its forwarder closed cleanly) and started a new one.
    const pods = e.logs.podsIn(ns);
    assert.equal(pods.length, 2, `two forwarder pods ran: ${pods.join(', ')}`);
    const forwarderAuths = authEvents(e.sim, account.keyId).filter((a) => a.connId !== zombie.connId);
    const lastOk = forwarderAuths.at(-1);
    assert.equal(lastOk?.outcome, 'ok', 'the new pod is authenticated');
    // Recreate: every connection of the old pod was closed before the new pod's connection opened.
    const newConnection = e.sim.log.connection(lastOk?.connId ?? -1);
    const oldIds = new Set(forwarderAuths.map((a) => a.connId).filter((id) => id !== newConnection.id));
    assert.ok(oldIds.size > 0, 'the old pod had connections');
    for (const id of oldIds) {
      const closedAt = e.sim.log.connection(id).closedAt;
      assert.ok(
        closedAt !== null && closedAt <= newConnection.connectedAt,
        `old connection ${id} closed (at ${closedAt}) before the new one opened (at ${newConnection.connectedAt})`,
      );
    }

    // Envelopes flow again.
    await waitForSubscribed(e.sim, account.keyId, symbol, { since: restartMark, timeoutMs: 60_000 });
    await tradesArrive(symbol, 7000, 5);
    const fresh = await waitForAf(e.kc, ns, name, (af) => af, { timeoutMs: 30_000, what: 'exists' });
    assert.equal(fresh.status?.restarts?.count, 1, 'still exactly one restart');
    await assertNoSecretLeaks(e.kc, e.logs, e.secretValues);
  });

  test('wrong Kafka SASL password: Degraded kafka_auth; fixing the Secret rolls the pod and it becomes Ready', {
    timeout: 420_000,
  }, async () => {
    const ns = 'e2e-kafka-auth';
    const name = 'sasl';
    const symbol = 'SASLE';
    const account = e.accounts.kafkaauth;
    assert.ok(account);
    const info = e.stack.kafka.info;
    const wrong = `wrong-${info.user.password.split('').reverse().join('')}`;
    e.secretValues.push(wrong);
    await e.apply(
      namespace(ns),
      alpacaSecret(ns, account),
      secret(ns, 'kafka-user', { password: wrong }),
      secret(ns, 'kafka-ca', { 'ca.crt': info.caPem }),
      forwarder(e, ns, name, [symbol], {
        kafka: {
          bootstrapServers: info.brokers('SASL_SSL'),
          securityProtocol: 'SASL_SSL',
          sasl: {
            mechanism: 'SCRAM-SHA-512',
            username: info.user.username,
            secretRef: { name: 'kafka-user', passwordKey: 'password' },
          },
          tls: { caSecretRef: { name: 'kafka-ca', key: 'ca.crt' } },
        },
      }),
    );
    const degraded = await waitForAf(
      e.kc,
      ns,
      name,
      (af) =>
        af.status?.errorClass === 'kafka_auth' &&
        condition(af, 'Degraded')?.status === 'True' &&
        condition(af, 'Degraded')?.reason === 'kafka_auth'
          ? af
          : undefined,
      { timeoutMs: READY_TIMEOUT, what: 'Degraded with errorClass kafka_auth' },
    );
    assert.equal(condition(degraded, 'Ready')?.status, 'False');
    assert.match(condition(degraded, 'Degraded')?.message ?? '', /Secret e2e-kafka-auth\/kafka-user/);
    const hashBefore = degraded.status?.secretHash;
    assert.ok(hashBefore);
    const depBefore = await waitForDeployment(e.kc, ns, name, (d) => d, {
      timeoutMs: 30_000,
      what: 'exists',
    });
    assert.equal(depBefore.spec?.template.metadata?.annotations?.[ANNOTATION_SECRET_HASH], hashBefore);

    const patchMark = e.sim.log.mark();
    await e.stack.kubectl([
      '-n',
      ns,
      'patch',
      'secret',
      'kafka-user',
      '--type',
      'merge',
      '-p',
      JSON.stringify({ stringData: { password: info.user.password } }),
    ]);
    const rolled = await waitForDeployment(
      e.kc,
      ns,
      name,
      (d) => {
        const hash = d.spec?.template.metadata?.annotations?.[ANNOTATION_SECRET_HASH];
        return hash !== undefined && hash !== hashBefore ? hash : undefined;
      },
      { timeoutMs: 120_000, what: 'a new secret hash on the pod template' },
    );
    const ready = await waitReady(e.kc, ns, name, READY_TIMEOUT);
    assert.equal(ready.status?.secretHash, rolled);
    assert.equal(ready.status?.errorClass ?? null, null);
    assert.equal(ready.status?.restarts?.count ?? 0, 0, 'a Secret roll is not an operator restart');
    assert.equal((await replicaSets(e.kc, ns, name)).length, 2, 'the Secret change rolled the pod');
    assert.equal(e.logs.podsIn(ns).length, 2, 'a new forwarder pod ran');

    await waitForSubscribed(e.sim, account.keyId, symbol, { since: patchMark, timeoutMs: 60_000 });
    await tradesArrive(symbol, 9000, 5);
    assert.ok(
      marketEnvelopes(e.kafka.records, symbol).every((p) => parseEnvelope(p.record).envelope.feed === 'iex'),
    );
    await assertNoSecretLeaks(e.kc, e.logs, e.secretValues);
  });
});
