/**
 * Health server (express): /healthz, /readyz, /metrics. One listener when the health and metrics
 * ports are equal, two otherwise. Probes are not logged (they arrive every few seconds).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import express, { type Express } from 'express';
import type { Registry } from 'prom-client';
import type { ReadinessBody } from '../../contracts/readiness.ts';

export interface HealthServerDeps {
  readiness(): ReadinessBody;
  registry: Registry;
  /** Event-loop delay (p99 over the last interval) above which /healthz fails. */
  maxEventLoopDelayMs?: number;
}

export interface HealthServer {
  healthPort: number;
  metricsPort: number;
  close(): Promise<void>;
}

function healthApp(deps: HealthServerDeps, withMetrics: boolean, withHealth: boolean): Express {
  const app = express();
  app.disable('x-powered-by');
  const loop = monitorEventLoopDelay({ resolution: 20 });
  loop.enable();
  let lastP99Ms = 0;
  const sampler = setInterval(() => {
    lastP99Ms = loop.percentile(99) / 1e6;
    loop.reset();
  }, 5_000);
  sampler.unref();
  app.locals.stop = () => {
    clearInterval(sampler);
    loop.disable();
  };
  const maxDelay = deps.maxEventLoopDelayMs ?? 5_000;
  if (withHealth) {
    app.get('/healthz', (_req, res) => {
      const ok = lastP99Ms < maxDelay;
      res
        .status(ok ? 200 : 503)
        .json({ status: ok ? 'ok' : 'event_loop_blocked', event_loop_delay_p99_ms: Math.round(lastP99Ms) });
    });
    app.get('/readyz', (_req, res) => {
      const body = deps.readiness();
      res.status(body.ready ? 200 : 503).json(body);
    });
  }
  if (withMetrics) {
    app.get('/metrics', async (_req, res) => {
      res.set('Content-Type', deps.registry.contentType).send(await deps.registry.metrics());
    });
  }
  return app;
}

function listen(app: Express, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(server)));
    server.once('error', reject);
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function startHealthServer(
  deps: HealthServerDeps,
  options: { healthPort: number; metricsPort: number; host?: string },
): Promise<HealthServer> {
  const host = options.host ?? '0.0.0.0';
  const shared = options.healthPort === options.metricsPort;
  const apps: Express[] = [];
  const servers: Server[] = [];
  const stop = async (): Promise<void> => {
    for (const app of apps) (app.locals.stop as () => void)();
    await Promise.all(servers.map(closeServer));
  };
  try {
    const main = healthApp(deps, shared, true);
    apps.push(main);
    servers.push(await listen(main, options.healthPort, host));
    if (!shared) {
      const metrics = healthApp(deps, true, false);
      apps.push(metrics);
      servers.push(await listen(metrics, options.metricsPort, host));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const port = (s: Server | undefined): number => ((s?.address() ?? { port: 0 }) as AddressInfo).port;
  return {
    healthPort: port(servers[0]),
    metricsPort: port(servers[1] ?? servers[0]),
    close: stop,
  };
}
