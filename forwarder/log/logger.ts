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

/**
 * `err` (design §4.11): type, message and stack (causes included, as pino writes them) and a
 * `code`, never an error's other properties: an AlpacaRestError carries the events read before it
 * failed, a client error its request, so a logged error costs bounded bytes.
 */
export function serializeErr(err: unknown): unknown {
  const s = pino.stdSerializers.err(err as Error);
  if ((s as unknown) === err || typeof s !== 'object' || s === null) return s;
  const code = (err as { code?: unknown }).code;
  const withCode = typeof code === 'string' || typeof code === 'number' ? { code } : {};
  return { type: s.type, message: s.message, stack: s.stack, ...withCode };
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { app: 'alpaca-forwarder' },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: serializeErr },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}
