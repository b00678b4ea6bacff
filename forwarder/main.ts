#!/usr/bin/env node
/**
 * alpaca-forwarder CLI: streams Alpaca market data (and optionally trade updates) into Kafka.
 * Configuration: env vars and/or FORWARDER_CONFIG_FILE (see docs/forwarder.md).
 */
const major = Number(process.versions.node.split('.')[0]);
if (major !== 24) {
  process.stderr.write(
    `alpaca-forwarder needs Node.js 24 (found ${process.version}). Use the project's Node 24 (source scripts/lib/env.sh) or the container image.\n`,
  );
  process.exit(1);
}

const { runForwarder } = await import('./app/run.ts');
const { routeProcessWarnings } = await import('./log/process-warnings.ts');
const running = await runForwarder({
  env: process.env,
  // A dependency's Node process warning is logged as JSON, not printed as plain text on stderr.
  onLogger: (logger) => routeProcessWarnings(process, logger),
  exit: (code) => process.exit(code),
  stderr: (text) => process.stderr.write(text),
});
if (running === null) process.exitCode = 2;
