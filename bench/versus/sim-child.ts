/**
 * The versus benchmark's generator in a process of its own (so its CPU never shares an event loop
 * with the benchmark or the process under test): the Alpaca simulator in generated mode, driven
 * over the IPC channel by bench/versus/main.ts (see sim-ipc.ts for the messages).
 *   offer: push exactly `events` admitted messages (trades, quotes, bars) at `rate` in frames of up
 *     to `frameMax`, sampling the CPU time of process `pid` at every generator tick.
 *   connections: the market connections the simulator saw (to count reconnects and readiness).
 */

import { startAlpacaSim } from '../../test/sim/alpaca/index.ts';
import { readProcStats } from '../forwarder/proc-stats.ts';
import type { CpuSample, FromSim, ToSim } from './sim-ipc.ts';

const KEY_ID = process.env.KEY_ID ?? '';
const SECRET = process.env.SECRET ?? '';
const ADMITTED = new Set(['t', 'q', 'b', 'u']);
const send = (m: FromSim) => process.send?.(m);

const sim = await startAlpacaSim({
  accounts: { [KEY_ID]: { secret: SECRET, feeds: ['iex', 'sip', 'delayed_sip', 'test'], symbolLimit: null } },
  logFrames: false,
  testStream: false,
  lingerMs: 0,
  // REST history is not used here (no backfill of these symbols' trades or quotes): the default
  // keeps 200 000 items per (kind, symbol), which over a whole run (10-20M events on 200 symbols)
  // grew this process past 4 GB and stalled the generator in multi-second mark-compacts.
  historyLimit: 1_000,
});

process.on('message', (m: ToSim) => {
  if (m.op === 'connections') {
    send({
      op: 'connections',
      id: m.id,
      list: sim.log
        .connectionList()
        .filter((c) => c.kind === 'market')
        .map((c) => ({
          id: c.id,
          open: c.closedAt === null,
          subscribed: JSON.stringify(c.subscriptions ?? {}).includes(m.symbol),
        })),
    });
    return;
  }
  if (m.op === 'offer') {
    let offered = 0;
    const samples: CpuSample[] = [];
    const push = sim.push.bind(sim);
    const startMs = Date.now();
    const stats = () => {
      try {
        const ps = readProcStats(m.pid);
        return { cpuMs: ps.cpuMs, rssMb: ps.rssBytes / 1048576 };
      } catch {
        return { cpuMs: Number.NaN, rssMb: Number.NaN };
      }
    };
    samples.push({ offered: 0, ...stats(), atMs: startMs });
    let gen: { stop(): void } | null = null;
    let ended = false;
    const end = (cutShort: boolean) => {
      if (ended) return;
      ended = true;
      clearTimeout(bound);
      gen?.stop();
      sim.push = push;
      send({ op: 'offered', id: m.id, offered, cutShort, startMs, endMs: Date.now(), samples });
    };
    // A starved generator stops at the bound and reports what it offered.
    const bound = setTimeout(() => end(true), m.maxMs);
    sim.push = (messages, opts) => {
      if (offered >= m.events) return;
      const take = messages
        .filter((x) => ADMITTED.has(String((x as { T?: unknown }).T)))
        .slice(0, m.events - offered);
      offered += take.length;
      if (take.length > 0) push(take, { ...opts, batchSize: m.frameMax });
      samples.push({ offered, ...stats(), atMs: Date.now() });
      if (offered >= m.events) end(false);
    };
    gen = sim.generate({
      eventsPerSecond: m.rate,
      symbols: m.symbols,
      feed: 'sip',
      seed: m.seed,
      rareShare: 0,
    });
    return;
  }
  if (m.op === 'close') void sim.close().then(() => process.exit(0));
});
send({ op: 'ready', stream: sim.urls.stream, rest: sim.urls.rest });
