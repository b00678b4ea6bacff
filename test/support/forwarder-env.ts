/** A minimal valid env for the forwarder (no real secrets). */
export function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ALPACA_KEY_ID: 'PKTESTKEYID0001',
    ALPACA_SECRET_KEY: 'test-secret-value-0001',
    SYMBOLS: 'AAPL,MSFT',
    KAFKA_BOOTSTRAP: '127.0.0.1:9092',
    KAFKA_SECURITY_PROTOCOL: 'PLAINTEXT',
    ...extra,
  };
}
