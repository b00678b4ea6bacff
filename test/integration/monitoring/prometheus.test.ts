/**
 * A real Prometheus (Debian's package, on loopback, 1 s scrape and rule evaluation) scrapes a
 * real forwarder (Alpaca simulator + the shared Kafka broker) and the real operator (against the
 * test kube-apiserver) with the project's alert rules loaded. Through Prometheus's HTTP API:
 * every dashboard panel query and every alert expression (without its threshold) returns series,
 * and the 406 alert fires, with its description naming the AlpacaForwarder, when the simulator
 * holds the account's connection slot.
 *
 * The rules are loaded with every `for` set to 0s (the real durations are covered by
 * `promtool test rules` in test/unit/monitoring/alerts.test.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rulesFileText } from '../../../scripts/generate-monitoring.ts';
import { ALL_ALERTS } from '../../../scripts/monitoring/alerts.ts';
import { DASHBOARDS, dashboardQueries } from '../../../scripts/monitoring/dashboards.ts';
import { kafkaFromEnv } from '../../infra/kafka/info.ts';
import { controlPlaneFromEnv } from '../../infra/kube/index.ts';
import { type RunningPrometheus, type Sample, startPrometheus } from '../../infra/prometheus/index.ts';
import type { AlpacaSim } from '../../sim/alpaca/index.ts';
import {
  cleanupAfterAll,
  forwarderEnv,
  freshTopics,
  type InProcess,
  KEY_ID,
  startInProcess,
  startSim,
  waitReadiness,
} from '../forwarder/harness.ts';
import { ReadyzStub, readyBody, startOperatorInNamespace } from '../operator/harness.ts';
import { applyForwarder, createCredentials, forwarderSpec, waitForwarder } from '../operator/resources.ts';

const kafka = kafkaFromEnv();
const plane = controlPlaneFromEnv();
const cleanup = cleanupAfterAll();

/** The labels the operator's PodMonitor gives a forwarder's series (docs/runbook.md "Labels"). */
const FORWARDER_LABELS = { namespace: 'markets', alpacaforwarder: 'equities', pod: 'equities-forwarder-0' };

/**
 * Alert series that only exist after a fault this test does not cause: a REST gap fill that
 * fails needs a gap and a failing REST answer (the counter is labelled by the REST error reason,
 * so it cannot be exported at 0). promtool covers the alert.
 */
const NEEDS_FAULT = new Set(['AlpacaForwarderGapFillFailed']);

/** Grafana's variables as "All" and a rate window that fits a 1 s scrape. */
function instantiate(expr: string): string {
  return expr
    .replaceAll('$namespace', '.*')
    .replaceAll('$alpacaforwarder', '.*')
    .replaceAll('$__rate_interval', '30s');
}

/** Polls every query until each has returned series once; reports the ones that never did. */
async function waitAllReturnSeries(
  prom: RunningPrometheus,
  queries: Array<{ what: string; expr: string }>,
  timeoutMs: number,
): Promise<void> {
  const pending = new Map(queries.map((q) => [q.what, q.expr]));
  const deadline = Date.now() + timeoutMs;
  while (pending.size > 0 && Date.now() < deadline) {
    for (const [what, expr] of pending) {
      const result: Sample[] = await prom.query(expr);
      if (result.length > 0) pending.delete(what);
    }
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 1000));
  }
  assert.deepEqual([...pending.keys()], [], `queries without series:\n${[...pending.values()].join('\n')}`);
}

function slotHolder(sim: AlpacaSim): number {
  const live = [...sim.log.connections.values()].filter(
    (c) => c.kind === 'market' && c.keyId === KEY_ID && c.closedAt === null,
  );
  assert.equal(live.length, 1, 'the forwarder holds one market-data connection');
  return (live[0] as { id: number }).id;
}

describe('Prometheus scraping the forwarder and the operator, with the alert rules', () => {
  let sim: AlpacaSim;
  let f: InProcess;
  let prom: RunningPrometheus;

  before(async () => {
    sim = await startSim(cleanup, { lingerMs: 300 });
    const topics = await freshTopics(kafka);
    f = await startInProcess(
      forwarderEnv(sim, kafka, topics, { ALPACA_406_COOLDOWN_MS: '300', LOG_LEVEL: 'warn' }),
    );
    cleanup.push(() => f.running.stop('test'));
    await waitReadiness(f.base, (b) => b.ready, 'forwarder ready');
    const generator = sim.generate({ eventsPerSecond: 50, symbols: ['AAPL', 'MSFT', 'TSLA'] });
    cleanup.push(async () => generator.stop());

    const stub = new ReadyzStub();
    const op = await startOperatorInNamespace(plane, 'prom', { stub });
    cleanup.push(() => op.stop());
    stub.set(op.ns, 'equities', readyBody());
    await createCredentials(op.kc, op.ns, 'creds');
    await applyForwarder(op.kc, op.ns, 'equities', forwarderSpec('creds'));
    await waitForwarder(op.kc, op.ns, 'equities', (a) => a.status?.conditions, 'a status');

    prom = await startPrometheus({
      targets: [
        {
          job: 'alpaca-forwarder',
          address: `127.0.0.1:${f.running.health.metricsPort}`,
          labels: FORWARDER_LABELS,
        },
        {
          job: 'alpaca-forwarder-operator',
          address: `127.0.0.1:${op.op.httpPort}`,
          labels: { namespace: 'alpaca-forwarder-system', pod: 'operator-0' },
          honorLabels: true,
        },
      ],
      rules: [rulesFileText({ forOverride: '0s' })],
    });
    cleanup.push(() => prom.stop());
  });

  after(() => {
    if (prom) assert.ok(!/level=error/.test(prom.log()), `Prometheus logged errors:\n${prom.log()}`);
  });

  test('both targets are up and the alert rules loaded', async () => {
    await waitAllReturnSeries(
      prom,
      [
        { what: 'forwarder up', expr: 'up{job="alpaca-forwarder"} == 1' },
        { what: 'operator up', expr: 'up{job="alpaca-forwarder-operator"} == 1' },
      ],
      60_000,
    );
    const res = await fetch(`${prom.url}/api/v1/rules`);
    const body = (await res.json()) as {
      data: { groups: Array<{ rules: Array<{ name: string; health: string }> }> };
    };
    const rules = body.data.groups.flatMap((g) => g.rules);
    assert.deepEqual(
      rules.map((r) => r.name),
      ALL_ALERTS.map((a) => a.alert),
    );
    // Evaluated at least once, without an error (lastEvaluation is the zero time before).
    const deadline = Date.now() + 30_000;
    let evaluated: Array<{ name: string; health: string; lastEvaluation: string }> = [];
    while (Date.now() < deadline) {
      const now = (await (await fetch(`${prom.url}/api/v1/rules`)).json()) as {
        data: { groups: Array<{ rules: Array<{ name: string; health: string; lastEvaluation: string }> }> };
      };
      evaluated = now.data.groups.flatMap((g) => g.rules);
      if (evaluated.every((r) => !r.lastEvaluation.startsWith('0001-'))) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    for (const r of evaluated) {
      assert.ok(!r.lastEvaluation.startsWith('0001-'), `${r.name} evaluated`);
      assert.equal(r.health, 'ok', r.name);
    }
  });

  test('every dashboard panel query returns series', async () => {
    await waitAllReturnSeries(
      prom,
      DASHBOARDS.flatMap((d) =>
        dashboardQueries(d).map((q) => ({
          what: `${d.title}: ${q.panel}: ${q.expr}`,
          expr: instantiate(q.expr),
        })),
      ),
      120_000,
    );
  });

  test('the 406 alert fires, naming the AlpacaForwarder, while the simulator holds the slot; every alert expression returns series', async () => {
    const healthy = ALL_ALERTS.filter(
      (a) => !NEEDS_FAULT.has(a.alert) && a.alert !== 'AlpacaForwarderReconnectsHigh',
    );
    await waitAllReturnSeries(
      prom,
      healthy.map((a) => ({ what: a.alert, expr: a.series })),
      120_000,
    );
    assert.ok(
      !(await prom.alerts()).some((a) => a.labels.alertname === 'AlpacaForwarder406Stalled'),
      'no 406 alert while streaming',
    );

    // The forwarder's connection drops without a close frame: Alpaca keeps its session (and so
    // the account's one slot) for the linger time, and refuses the reconnect with 406.
    sim.setLingerMs(600_000);
    sim.drop(slotHolder(sim));
    await waitReadiness(f.base, (b) => b.error_class === 'alpaca_406_second_connection', '406', 60_000);

    const deadline = Date.now() + 60_000;
    let fired: Awaited<ReturnType<RunningPrometheus['alerts']>>[number] | undefined;
    while (!fired && Date.now() < deadline) {
      fired = (await prom.alerts()).find(
        (a) => a.labels.alertname === 'AlpacaForwarder406Stalled' && a.state === 'firing',
      );
      if (!fired) await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(
      fired,
      `AlpacaForwarder406Stalled did not fire; alerts: ${JSON.stringify(await prom.alerts())}`,
    );
    assert.equal(fired.labels.namespace, 'markets');
    assert.equal(fired.labels.alpacaforwarder, 'equities');
    assert.equal(fired.labels.severity, 'critical');
    assert.match(fired.annotations.description ?? '', /^AlpacaForwarder markets\/equities /);
    assert.match(fired.annotations.runbook_url ?? '', /docs\/runbook\.md#procedure-a-406-connection-limit$/);

    await waitAllReturnSeries(
      prom,
      [
        {
          what: 'AlpacaForwarderReconnectsHigh',
          expr: ALL_ALERTS.find((a) => a.alert === 'AlpacaForwarderReconnectsHigh')?.series ?? '',
        },
      ],
      60_000,
    );
  });
});
