/**
 * Simulator options with their defaults. Behaviours the public sources leave unconfirmed are
 * knobs here (alpaca-protocol.md marks them "(unconfirmed)").
 */
import type { AccountInput } from './accounts.ts';
import type { SimClock } from './clock.ts';
import type { TimestampWidth } from './codec.ts';

export interface SimOptions {
  /** Listening port (0 = random). One port serves streams, trading stream and REST. */
  port: number;
  host: string;
  /** key id → secret and plan. Default: one free-plan account `PKTEST`/`SKTEST`. */
  accounts: Record<string, AccountInput>;
  clock: SimClock;
  /** Auth deadline after the upgrade (Alpaca: 10 s). */
  authTimeoutMs: number;
  /** Lingering window of a session that dropped without a close handshake (Alpaca: ~90 s). */
  lingerMs: number;
  /** Close the socket after these errors (Go retries auth on the same socket after 406). */
  closeAfter: {
    authTimeout: boolean;
    authFailed: boolean;
    connectionLimit: boolean;
    insufficientSubscription: boolean;
  };
  /** After header auth, also send `[{"T":"success","msg":"authenticated"}]` after the welcome. */
  headerAuthSendsAuthenticated: boolean;
  /** Max data messages per frame. */
  batchSize: number;
  /**
   * msgpack timestamp width: 'compact' (default: the smallest form that fits, 32/64-bit, as
   * Alpaca's encoders write them) or 96-bit always.
   */
  msgpackTimestampWidth: TimestampWidth;
  /** Include `imbalances` in subscription replies (Go's fixture does, the docs' example does not). */
  subscriptionIncludesImbalances: boolean;
  /** Per-connection output bound: when the socket's unsent bytes exceed this, slow-client disconnect. */
  maxBufferedBytes: number;
  /** Send 407 before closing a slow client (the real service may not). */
  slowClientSends407: boolean;
  /** permessage-deflate with context takeover. */
  perMessageDeflate: boolean;
  /** Always-on FAKEPACA data on /v2/test (quote every 5 s, bar every minute). */
  testStream: boolean;
  /** Trading stream frames: binary (paper) or text (live). */
  tradingFrames: 'binary' | 'text';
  /** Trading stream heartbeat (1-byte binary 0x01) interval; null = only on `sim.tradingHeartbeat()`. */
  tradingHeartbeatMs: number | null;
  /** Seed of the data generator. */
  seed: number;
  /** Log every frame (switch off for benchmarks). */
  logFrames: boolean;
  /** REST history kept per (kind, symbol); the oldest items are dropped beyond it. */
  historyLimit: number;
}

export type SimOptionsInput = Partial<Omit<SimOptions, 'closeAfter'>> & {
  closeAfter?: Partial<SimOptions['closeAfter']>;
};

export const DEFAULT_ACCOUNTS: Record<string, AccountInput> = { PKTEST: { secret: 'SKTEST' } };
