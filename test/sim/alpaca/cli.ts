/**
 * Standalone simulator for the demo and benchmarks: generated mode on the given (or default)
 * port and accounts. Prints one JSON line (urls, accounts) and one human line; stops cleanly on
 * SIGINT/SIGTERM (sockets closed, exit 0). Bad arguments exit 2 naming each problem.
 */
import { CLI_USAGE, parseCliArgs } from './cli-args.ts';
import { startAlpacaSim } from './server.ts';

const parsed = parseCliArgs(process.argv.slice(2));
if (!parsed.ok) {
  for (const e of parsed.errors) console.error(`alpaca-sim: ${e}`);
  console.error(CLI_USAGE);
  process.exit(2);
}
const cfg = parsed.config;
const sim = await startAlpacaSim({
  host: cfg.host,
  port: cfg.port,
  accounts: cfg.accounts,
  lingerMs: cfg.lingerMs,
  logFrames: cfg.logFrames,
}).catch((err: unknown) => {
  console.error(`alpaca-sim: cannot listen on ${cfg.host}:${cfg.port}: ${(err as Error).message}`);
  process.exit(1);
});
const generator =
  cfg.eventsPerSecond > 0
    ? sim.generate({ eventsPerSecond: cfg.eventsPerSecond, symbols: cfg.symbols })
    : null;
const host = cfg.host === '0.0.0.0' ? '127.0.0.1' : cfg.host;
const urls = {
  stream: `ws://${host}:${sim.port}`,
  trading: `ws://${host}:${sim.port}/stream`,
  rest: `http://${host}:${sim.port}`,
};
console.log(
  JSON.stringify({
    msg: 'alpaca simulator listening',
    urls,
    feeds: ['iex', 'sip', 'delayed_sip', 'test'],
    accounts: Object.entries(cfg.accounts).map(([keyId, a]) => ({
      keyId,
      secretKey: a.secret,
      feeds: a.feeds ?? null,
    })),
    generated: { eventsPerSecond: cfg.eventsPerSecond, symbols: cfg.symbols },
  }),
);
console.log(
  `alpaca simulator: stream ${urls.stream}/v2/iex, trading ${urls.trading}, REST ${urls.rest}; ` +
    `${cfg.eventsPerSecond} events/s over ${cfg.symbols.join(',')}; keys ${Object.keys(cfg.accounts).join(', ')}`,
);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    generator?.stop();
    sim.close({ how: 'close' }).then(
      () => {
        console.log(
          JSON.stringify({ msg: 'alpaca simulator stopped', signal, eventsSent: generator?.sent ?? 0 }),
        );
        process.exit(0);
      },
      (err: unknown) => {
        console.error(`alpaca-sim: error while stopping: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  });
}
