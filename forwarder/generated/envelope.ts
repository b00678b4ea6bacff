/* Generated from forwarder/schema/envelope.schema.json by scripts/generate-types.ts; do not edit. */

/**
 * One Kafka record per Alpaca event (design §3.3). Kafka key = symbol (status events: the stream name). JSON value.
 */
export interface Envelope {
  /**
   * Envelope format version.
   */
  schema_version: 1;
  /**
   * When the forwarder forwarded the event: RFC3339 UTC with microseconds.
   */
  ingest_ts: string;
  /**
   * Alpaca's `t` exactly as sent (RFC3339, up to nanoseconds); null when the message has none.
   */
  event_ts: string | null;
  /**
   * Market-data feed (iex, sip, delayed_sip, test); `alpaca` for trade_updates.
   */
  feed: string;
  /**
   * Alpaca channel; `status` is the forwarder's own connection status (design §3.4).
   */
  channel: 'trades' | 'quotes' | 'bars' | 'updated_bars' | 'statuses' | 'trade_updates' | 'status';
  /**
   * Upper-case symbol; the stream name (market_data, trade_updates) for channel status.
   */
  symbol: string;
  /**
   * Per (channel, symbol): +1 per event within a process; each process starts at its start time in ms x 1000, so it never goes backwards across restarts.
   */
  seq: number;
  /**
   * The Alpaca message as received (decoded from JSON or msgpack to JSON); for channel status the status event.
   */
  payload: {
    [k: string]: unknown;
  };
  /**
   * false for updated bars (a later correction may follow); true otherwise, including REST bars.
   */
  is_final: boolean;
  /**
   * Where the event came from.
   */
  source: 'ws' | 'rest';
  /**
   * Bars only: the bar's time window; null for other channels.
   */
  window: null | {
    /**
     * 1m: minute bars (b, u, REST 1Min); 1d: daily bars (d), start and end at New York midnight.
     */
    size: '1m' | '1d';
    /**
     * Bar start (Alpaca `t` as sent).
     */
    start: string;
    /**
     * Bar end, RFC3339 UTC.
     */
    end: string;
  };
  /**
   * The key the forwarder deduplicated on (design §4.3); consumers may use it for idempotence.
   */
  dedup_key: string;
}
