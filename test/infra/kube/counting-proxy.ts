/**
 * A TCP pass-through on loopback in front of the API server that counts the connections clients
 * open through it (TLS passes through untouched: the apiserver's certificate is for 127.0.0.1,
 * which the proxy also listens on). Tests and benchmarks point a kubeconfig at it to see how many
 * connections a client really opens.
 */
import net from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

export interface CountingProxy {
  /** https://127.0.0.1:PORT */
  readonly server: string;
  /** Connections accepted since start. */
  readonly opened: number;
  /** Connections open now. */
  readonly open: number;
  /** Most connections open at once. */
  readonly peakOpen: number;
  /** A copy of kc whose clusters point at the proxy. */
  kubeConfig(kc: KubeConfig): KubeConfig;
  stop(): Promise<void>;
}

export async function startCountingProxy(upstream: string): Promise<CountingProxy> {
  const target = new URL(upstream);
  const sockets = new Set<net.Socket>();
  let opened = 0;
  const clients = new Set<net.Socket>();
  let peakOpen = 0;
  const server = net.createServer((client) => {
    opened++;
    const up = net.connect(Number(target.port), target.hostname);
    sockets.add(client);
    sockets.add(up);
    clients.add(client);
    client.on('close', () => clients.delete(client));
    peakOpen = Math.max(peakOpen, clients.size);
    const end = () => {
      client.destroy();
      up.destroy();
    };
    client.on('error', end).on('close', () => {
      sockets.delete(client);
      end();
    });
    up.on('error', end).on('close', () => {
      sockets.delete(up);
      end();
    });
    client.pipe(up);
    up.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  const url = `https://127.0.0.1:${port}`;
  return {
    server: url,
    get opened() {
      return opened;
    },
    get open() {
      return clients.size;
    },
    get peakOpen() {
      return peakOpen;
    },
    kubeConfig(kc) {
      const copy = new KubeConfig();
      copy.loadFromOptions({
        clusters: kc.getClusters().map((c) => ({ ...c, server: url })),
        users: kc.getUsers(),
        contexts: kc.getContexts(),
        currentContext: kc.getCurrentContext(),
      });
      return copy;
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
