/**
 * pino JSON logger. Secrets are removed by configuration (design §4.11): any `key`, `secret`,
 * `password` (and their usual spellings) at the top level or up to three levels deep is censored,
 * whatever the call site logs.
 */
import { type DestinationStream, type Logger, pino } from 'pino';

const SECRET_FIELDS = [
  'key',
  'secret',
  'password',
  'keyId',
  'key_id',
  'secretKey',
  'secret_key',
  'apiKey',
  'api_key',
  'token',
  'authorization',
  'APCA-API-KEY-ID',
  'APCA-API-SECRET-KEY',
  'ALPACA_KEY_ID',
  'ALPACA_SECRET_KEY',
  'KAFKA_SASL_PASSWORD',
];

/** `name` at depth 0-3; names that are not identifiers use bracket notation. */
export const REDACT_PATHS: string[] = SECRET_FIELDS.flatMap((f) => {
  const ident = /^[A-Za-z_$][\w$]*$/.test(f);
  const leaf = ident ? f : `["${f}"]`;
  const join = (prefix: string): string =>
    prefix === '' ? leaf : ident ? `${prefix}.${leaf}` : `${prefix}${leaf}`;
  return ['', '*', '*.*', '*.*.*'].map(join);
});

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { app: 'alpaca-forwarder' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}
