/**
 * permessage-deflate on vs off for the market-data socket (not part of npm test): a local `ws`
 * server (deflate offered, as Alpaca's servers do) sends the same realistic msgpack frames
 * (bench/hotpath/frames.ts) as fast as it can to a client child process that uses the
 * forwarder's socket factory with the setting on or off and decodes every frame. Interleaved
 * over rounds; prints the client's CPU per 1000 events and the bytes on the wire per event,
 * medians and ratios.
 *   node bench/ws-deflate/main.ts [--events 200000] [--rounds 3]
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { WebSocketServer } from 'ws';
import { buildFrames } from '../hotpath/frames.ts';

const run = promisify(execFile);
const { values } = parseArgs({
  options: { events: { type: 'string', default: '200000' }, rounds: { type: 'string', default: '3' } },
});
const { frames, events } = buildFrames({ events: Number(values.events), perFrame: 200, symbols: 500 });
const rounds = Number(values.rounds);

const wss = new WebSocketServer({ port: 0, perMessageDeflate: { threshold: 0 } });
await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
const port = (wss.address() as { port: number }).port;
let wireBytes = 0;
wss.on('connection', (ws, req) => {
  const socket = req.socket;
  ws.once('message', () => {
    const start = socket.bytesWritten;
    for (const f of frames) ws.send(f, { binary: true });
    ws.once('close', () => {
      wireBytes = socket.bytesWritten - start;
    });
  });
});

interface Sample {
  cpuMsPer1k: number;
  bytesPerEvent: number;
}
async function once(deflate: boolean): Promise<Sample> {
  wireBytes = 0;
  const { stdout } = await run(process.execPath, [
    join(import.meta.dirname, 'client.ts'),
    `ws://127.0.0.1:${port}`,
    String(events),
    String(deflate),
  ]);
  const r = JSON.parse(stdout.trim()) as { events: number; cpuUs: number };
  await new Promise((resolve) => setTimeout(resolve, 50));
  return { cpuMsPer1k: r.cpuUs / 1000 / (r.events / 1000), bytesPerEvent: wireBytes / r.events };
}

const samples: Record<'on' | 'off', Sample[]> = { on: [], off: [] };
await once(true); // warm-up
for (let r = 0; r < rounds; r += 1) {
  const order: ('on' | 'off')[] = r % 2 === 0 ? ['on', 'off'] : ['off', 'on'];
  for (const v of order) samples[v].push(await once(v === 'on'));
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const m = (v: 'on' | 'off', k: keyof Sample): number => median(samples[v].map((s) => s[k]));
console.log(
  `permessage-deflate: ${events} events in ${frames.length} msgpack frames, ${rounds} rounds, Node ${process.version}`,
);
console.log('| variant | client CPU ms / 1000 events (ws + decode) | wire bytes / event |');
console.log('| --- | --- | --- |');
for (const v of ['on', 'off'] as const)
  console.log(`| deflate ${v} | ${m(v, 'cpuMsPer1k').toFixed(2)} | ${m(v, 'bytesPerEvent').toFixed(1)} |`);
console.log(
  `| **off / on** | ${(m('off', 'cpuMsPer1k') / m('on', 'cpuMsPer1k')).toFixed(2)} | ${(m('off', 'bytesPerEvent') / m('on', 'bytesPerEvent')).toFixed(2)} |`,
);
wss.close();
