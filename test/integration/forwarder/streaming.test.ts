/**
 * The forwarder end to end over PLAINTEXT: several symbols arrive in Kafka in order per symbol
 * with valid envelopes, monotonic seq and key = symbol; duplicated frames and reconnect overlap
 * give no duplicate records while distinct trades sharing an id on different symbols both
 * arrive; an abrupt drop reconnects, resubscribes and publishes status events; editing the
 * symbol list in the config file changes subscriptions on the same connection.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rename, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readTopic } from '../../infra/kafka/clients.ts';
import { kafkaFromEnv } from '../../infra/kafka/info.ts';
import { type AlpacaSim, startAlpacaSim } from '../../sim/alpaca/index.ts';
import { envelopeErrors } from '../../support/envelope-schema.ts';
import {
  forwarderEnv,
  freshTopics,
  type InProcess,
  KEY_ID,
  SECRET,
  startInProcess,
  waitReadiness,
} from './harness.ts';

const kafka = kafkaFromEnv();
let sim: AlpacaSim;
let fwd: InProcess;
const cleanup: (() => Promise<unknown>)[] = [];

interface Env {
  channel: string;
  symbol: string;
  seq: number;
  payload: Record<string, unknown>;
  dedup_key: string;
}

function parse(records: { key: string | null; value: string | null }[]): (Env & { key: string | null })[] {
  return records.map((r) => ({ ...(JSON.parse(r.value ?? 'null') as Env), key: r.key }));
}

async function configDir(content: string) {
  const dir = await mkdtemp(join(tmpdir(), 'fwd-int-cm-'));
  let n = 0;
  const publish = async (text: string): Promise<void> => {
    n += 1;
    await mkdir(join(dir, `..v${n}`));
    await writeFile(join(dir, `..v${n}`, 'config.yaml'), text);
    await symlink(`..v${n}`, join(dir, '..tmp'));
    await rename(join(dir, '..tmp'), join(dir, '..data'));
  };
  await publish(content);
  await symlink('..data/config.yaml', join(dir, 'config.yaml'));
  return { path: join(dir, 'config.yaml'), publish };
}

describe('forwarder streaming (PLAINTEXT)', () => {
  let topics: Awaited<ReturnType<typeof freshTopics>>;
  let cfg: Awaited<ReturnType<typeof configDir>>;

  before(async () => {
    topics = await freshTopics(kafka);
    // An abruptly dropped socket keeps Alpaca's slot for a while (406 meanwhile): short here.
    sim = await startAlpacaSim({ accounts: { [KEY_ID]: { secret: SECRET } }, lingerMs: 300 });
    cleanup.push(() => sim.close());
    cfg = await configDir(
      'symbols: [AAPL, MSFT, TSLA]\nchannels: {trades: true, quotes: true, bars: true, updatedBars: false}\n',
    );
    fwd = await startInProcess(
      forwarderEnv(sim, kafka, topics, {
        SYMBOLS: 'SPY',
        FORWARDER_CONFIG_FILE: cfg.path,
        ALPACA_406_COOLDOWN_MS: '400',
      }),
    );
    cleanup.push(() => fwd.running.stop('test'));
    await waitReadiness(fwd.base, (b) => b.ready, 'ready');
  });

  after(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  function liveConnection() {
    const c = sim.log
      .connectionList()
      .find((r) => r.kind === 'market' && r.closedAt === null && r.authAt !== null);
    assert.ok(c, 'a live market-data connection');
    return c;
  }

  test('ordered per symbol, valid envelopes, monotonic seq, key = symbol, replays dropped', async () => {
    const conn = liveConnection();
    assert.deepEqual(
      [...(conn.subscriptions?.trades ?? [])].sort(),
      ['AAPL', 'MSFT', 'TSLA'],
      'file wins over SYMBOLS env',
    );
    const symbols = ['AAPL', 'MSFT', 'TSLA'];
    const sent: Record<string, unknown>[] = [];
    for (let round = 1; round <= 10; round += 1) {
      // The same trade id on every symbol: distinct trades, all must arrive.
      const batch = symbols.map((s) => sim.data.trade(s, { i: 1000 + round }));
      sent.push(...batch);
      if (round === 3) sim.duplicateNextFrame(conn.id, 2);
      sim.push(batch);
    }
    const quotes = symbols.map((s) => sim.data.quote(s));
    sim.push(quotes);
    const records = await readTopic(kafka, topics.trades, { count: 30 });
    const envs = parse(records);
    for (const e of envs) {
      assert.deepEqual(envelopeErrors(JSON.parse(JSON.stringify({ ...e, key: undefined }))), []);
      assert.equal(e.key, e.symbol);
    }
    for (const s of symbols) {
      const mine = envs.filter((e) => e.symbol === s);
      assert.deepEqual(
        mine.map((e) => e.payload.i),
        Array.from({ length: 10 }, (_, k) => 1001 + k),
        `${s} in order, no duplicates`,
      );
      const seqs = mine.map((e) => e.seq);
      for (let k = 1; k < seqs.length; k += 1) assert.equal(seqs[k], (seqs[k - 1] as number) + 1);
    }
    assert.equal(new Set(envs.map((e) => e.dedup_key)).size, 30);
    const q = parse(await readTopic(kafka, topics.quotes, { count: 3 }));
    assert.deepEqual(q.map((e) => e.symbol).sort(), symbols);
    const metrics = await (await fetch(`${fwd.base}/metrics`)).text();
    assert.match(metrics, /alpaca_forwarder_events_deduplicated_total\{channel="trades"\} [1-9]/);
  });

  test('abrupt drop: reconnect, resubscribe, status events, overlap deduplicated', async () => {
    const old = liveConnection();
    const mark = sim.log.mark();
    sim.drop(old.id);
    await sim.log.waitForMessage(null, 'in', (m) => m.action === 'subscribe', {
      since: mark,
      timeoutMs: 60_000,
    });
    await waitReadiness(fwd.base, (b) => b.ready, 'ready after reconnect');
    // Overlap: the last trade before the drop is sent again, plus one new trade.
    const fresh = sim.data.trade('AAPL', { i: 2001 });
    const before = parse(await readTopic(kafka, topics.trades)).find(
      (e) => e.payload.i === 1010 && e.symbol === 'AAPL',
    );
    assert.ok(before);
    sim.push([{ ...before.payload, T: 't' }, fresh]);
    const all = parse(await readTopic(kafka, topics.trades, { count: 31 }));
    assert.equal(
      all.filter((e) => e.symbol === 'AAPL' && e.payload.i === 1010).length,
      1,
      'replay deduplicated',
    );
    assert.equal(all.filter((e) => e.payload.i === 2001).length, 1);
    const statuses = parse(await readTopic(kafka, topics.status));
    // State changes only (a periodic heartbeat may fall between them in a long run).
    const md = statuses
      .filter((e) => e.key === 'market_data')
      .map((e) => e.payload.status)
      .filter((s) => s !== 'heartbeat');
    assert.ok(md.includes('reconnect'), `status events: ${md.join(',')}`);
    assert.equal(md.at(-1), 'healthy');
    assert.ok(
      md.indexOf('healthy') < md.lastIndexOf('reconnect'),
      'healthy, then reconnect, then healthy again',
    );
  });

  test('editing the config file changes subscriptions on the same connection', async () => {
    const conn = liveConnection();
    const mark = sim.log.mark();
    await cfg.publish(
      'symbols: [AAPL, NVDA]\nchannels: {trades: true, quotes: true, bars: true, updatedBars: false}\n',
    );
    await sim.log.waitForMessage(conn.id, 'in', (m) => m.action === 'subscribe', {
      since: mark,
      timeoutMs: 30_000,
    });
    await sim.log.waitForMessage(conn.id, 'in', (m) => m.action === 'unsubscribe', { since: mark });
    await sim.log.waitForMessage(
      conn.id,
      'out',
      (m) => m.T === 'subscription' && Array.isArray(m.trades) && (m.trades as string[]).includes('NVDA'),
      { since: mark },
    );
    assert.deepEqual([...(sim.log.connection(conn.id).subscriptions?.trades ?? [])].sort(), ['AAPL', 'NVDA']);
    const opened = sim.log.events.slice(mark).filter((e) => e.type === 'connect');
    assert.equal(opened.length, 0, 'no reconnect');
    assert.equal(sim.log.connection(conn.id).closedAt, null);
    sim.push([sim.data.trade('NVDA', { i: 3001 })]);
    const all = parse(await readTopic(kafka, topics.trades, { count: 32 }));
    assert.ok(all.some((e) => e.symbol === 'NVDA' && e.payload.i === 3001));
  });

  test('no secret in logs or readiness bodies', async () => {
    const body = await (await fetch(`${fwd.base}/readyz`)).text();
    for (const secret of [SECRET, KEY_ID]) {
      assert.ok(!fwd.log.text().includes(secret), 'secret in logs');
      assert.ok(!body.includes(secret), 'secret in /readyz');
    }
  });
});
