/**
 * Gates the Alpaca connections on the Lease (design §4.1): connect only while the Lease is ours,
 * close the sockets at once when it is lost (and reconnect with fresh sockets when it is back),
 * and on shutdown close the sockets first and only then release the Lease, so a successor may
 * connect at once without meeting our socket (406). Without a store (lease disabled, outside a
 * cluster) the connections open at start.
 */
import type { Logger } from 'pino';
import type { LeaseElector, LeaseStatus } from '../../lib/lease/elector.ts';

export interface LeasedConnections {
  /** Opens fresh Alpaca connections. Never called while they are open or closing. */
  open(): void;
  /** Closes them cleanly (close frames sent); resolves when closed. Called only after open(). */
  close(): Promise<void>;
}

export interface ConnectionLease {
  start(): void;
  /** Stop electing, close the connections, then release the Lease. Idempotent. */
  shutdown(): Promise<void>;
  /** null when the Lease is disabled. */
  status(): LeaseStatus | null;
}

/**
 * `elector` must be built with onAcquired/onLost calling the returned handlers; see
 * createConnectionLease, which does that wiring.
 */
export interface ConnectionLeaseParts {
  connections: LeasedConnections;
  logger: Logger;
  makeElector: ((handlers: { onAcquired(): void; onLost(): void }) => LeaseElector) | null;
}

export function createConnectionLease(parts: ConnectionLeaseParts): ConnectionLease {
  const { connections, logger } = parts;
  let open = false;
  /** The close in progress (lost lease or shutdown); opening waits for it. */
  let closing: Promise<void> = Promise.resolve();
  let shuttingDown = false;
  let shutdownDone: Promise<void> | null = null;

  const openNow = (): void => {
    if (open || shuttingDown) return;
    open = true;
    connections.open();
  };
  const closeNow = (): Promise<void> => {
    if (!open) return closing;
    open = false;
    closing = connections.close().catch((err: unknown) => {
      logger.error({ err }, 'closing Alpaca connections failed');
    });
    return closing;
  };

  const elector = parts.makeElector?.({
    onAcquired: () => {
      // A reacquire right after a loss waits until the old sockets are closed.
      void closing.then(() => {
        if (elector?.held) openNow();
      });
    },
    onLost: () => {
      void closeNow();
    },
  });

  return {
    start() {
      if (elector) elector.start();
      else openNow();
    },
    shutdown() {
      shutdownDone ??= (async () => {
        shuttingDown = true;
        await elector?.stop();
        await closeNow();
        // Only after the close frames: the next holder may connect at once.
        await elector?.release();
      })();
      return shutdownDone;
    },
    status: () => elector?.status() ?? null,
  };
}
