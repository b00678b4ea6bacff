/**
 * A "zombie" Alpaca client: a plain `ws` client that authenticates with a forwarder's key id on
 * the same endpoint, like a leftover pod, and so holds the account's one stream slot.
 */
import WebSocket from 'ws';
import type { AlpacaSim } from '../../sim/alpaca/index.ts';

export interface Zombie {
  /** The simulator's connection id of the zombie. */
  connId: number;
  /** Clean close (close frame): the simulator frees the slot as soon as it reads it. */
  close(): Promise<void>;
}

export async function startZombie(
  sim: AlpacaSim,
  url: string,
  account: { keyId: string; secretKey: string },
): Promise<Zombie> {
  const mark = sim.log.mark();
  const ws = new WebSocket(url);
  ws.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ action: 'auth', key: account.keyId, secret: account.secretKey }));
  const auth = await sim.log.waitFor((e) => e.type === 'auth' && e.keyId === account.keyId, {
    since: mark,
    timeoutMs: 30_000,
    what: `the zombie's auth as ${account.keyId}`,
  });
  if (auth.type !== 'auth' || auth.outcome !== 'ok') {
    ws.terminate();
    throw new Error(`the zombie client was not authenticated (${JSON.stringify(auth)})`);
  }
  return {
    connId: auth.connId,
    close: async () => {
      ws.close(1000, 'zombie done');
      await closed;
      await sim.log.waitForClose(auth.connId, { timeoutMs: 30_000 });
    },
  };
}
