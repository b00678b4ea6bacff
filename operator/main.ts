#!/usr/bin/env node
/**
 * The operator process (bin `alpaca-forwarder-operator` → dist/operator/main.js): checks the
 * Node version, reads and validates its environment (exits non-zero naming every bad variable),
 * loads the kubeconfig ($KUBECONFIG, ~/.kube/config or in-cluster; lib/kube/kube-config.ts), runs the operator, and shuts down gracefully
 * on SIGTERM/SIGINT (drain reconciles, stop watches, release the Lease).
 */
import { pino } from 'pino';
import { KubeConfigError, loadDefaultKubeConfig } from '../lib/kube/kube-config.ts';
import { ConfigError, loadConfig } from './controller/config.ts';
import { startOperator } from './controller/runtime.ts';

const REQUIRED_NODE_MAJOR = 24;

function fail(message: string): never {
  process.stderr.write(`${JSON.stringify({ level: 'fatal', msg: message })}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  const major = Number(process.versions.node.split('.')[0]);
  if (major !== REQUIRED_NODE_MAJOR)
    fail(`Node ${REQUIRED_NODE_MAJOR} is required, this is ${process.versions.node}`);

  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }

  const logger = pino({
    level: config.LOG_LEVEL,
    base: { component: 'alpaca-forwarder-operator' },
    // Secrets never reach a log line by construction (only hashes leave inputs.ts); this is the net.
    redact: {
      paths: [
        '*.password',
        '*.secret',
        '*.secretKey',
        '*.token',
        '*.data',
        '*.stringData',
        'headers.authorization',
      ],
      censor: '[redacted]',
    },
  });

  let kubeConfig: ReturnType<typeof loadDefaultKubeConfig>;
  try {
    kubeConfig = loadDefaultKubeConfig();
  } catch (err) {
    if (err instanceof KubeConfigError) fail(err.message);
    throw err;
  }
  logger.info({ source: kubeConfig.source, server: kubeConfig.server }, 'Kubernetes client config loaded');

  const op = await startOperator({ config, kubeConfig, logger });

  let shuttingDown = false;
  const shutdown = (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'signal received');
    op.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('unhandledRejection', (err) => {
    logger.error({ err }, 'unhandled rejection');
  });
}

main().catch((err: unknown) =>
  fail(`operator failed to start: ${err instanceof Error ? err.message : String(err)}`),
);
