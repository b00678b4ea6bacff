/**
 * The forwarder's resolved configuration: the config-file shape with its defaults filled in
 * (contracts/config-file.ts, the one schema of every setting), plus what the forwarder derives:
 * secrets from env, the trading URL, the allowlist-filtered symbols, SASL with its password, the
 * Lease namespace. A new setting is added to the schema only; nothing here changes.
 */
import type { ConfigFile, FEEDS } from '../../contracts/config-file.ts';

export type Feed = (typeof FEEDS)[number];
export type ChannelSwitches = ConfigFile['channels'];
export type TopicNames = ConfigFile['kafka']['topics'];

/** Settings whose resolved form differs from the file shape (derived in resolve.ts). */
type Derived = 'version' | 'tradingUrl' | 'symbolsAllowlist' | 'symbolsFrom' | 'kafka' | 'lease';

export type ForwarderConfig = Omit<ConfigFile, Derived> & {
  /** Alpaca API key id and secret (env only, never in the file). */
  credentials: { keyId: string; secretKey: string };
  /** Trading API base (market calendar): set, else from the trade stream URL, else the live API. */
  tradingUrl: string;
  /** Only these symbols are subscribed (static and remote lists); null = no allowlist. */
  symbolsAllowlist: string[] | null;
  /** Remote symbol list; null when no URL is set. */
  symbolsFrom: NonNullable<ConfigFile['symbolsFrom']> | null;
  kafka: Omit<ConfigFile['kafka'], 'bootstrapServers' | 'sasl'> & {
    bootstrapServers: string[];
    /** Set exactly when the security protocol uses SASL; the password comes from env only. */
    sasl: (ConfigFile['kafka']['sasl'] & { username: string; password: string }) | null;
  };
  lease: { enabled: boolean; namespace: string | null; durationSeconds: number };
  /** Absolute path of the mounted config file, or null when running from env only. */
  configFile: string | null;
};
