/**
 * The Alpaca simulator as a long-running server for the kind e2e (test/e2e/kind/run.sh): listens
 * on $SIM_HOST:$SIM_PORT (default 0.0.0.0:8080; port 0 picks a free one) with the default
 * free-plan account PKTEST/SKTEST, serves the always-on test stream (FAKEPACA on /v2/test), prints
 * one JSON line with its URLs once listening, and stops cleanly on SIGTERM/SIGINT.
 */
import { startAlpacaSim } from '../../sim/alpaca/index.ts';

const rawPort = process.env.SIM_PORT ?? '8080';
const port = Number(rawPort);
if (!/^\d+$/.test(rawPort) || port > 65535) {
  console.error(`SIM_PORT must be a port number (0-65535), got ${JSON.stringify(rawPort)}`);
  process.exit(2);
}
const host = process.env.SIM_HOST ?? '0.0.0.0';

const sim = await startAlpacaSim({ host, port, logFrames: false, testStream: true });
console.log(JSON.stringify({ msg: 'alpaca simulator listening', urls: sim.urls }));

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    sim.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('alpaca simulator did not close cleanly', err);
        process.exit(1);
      },
    );
  });
}
