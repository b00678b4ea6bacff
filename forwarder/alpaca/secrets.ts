/** The only form of an Alpaca key id that may appear in logs. The secret never does. */
export function maskKeyId(keyId: string): string {
  if (keyId.length <= 4) return '****';
  return `${keyId.slice(0, 4)}****`;
}

export interface AlpacaCredentials {
  keyId: string;
  secretKey: string;
}

/** The headers that authenticate an Alpaca REST request (JSON asked for). */
export function alpacaRestHeaders(credentials: AlpacaCredentials): Record<string, string> {
  return {
    'APCA-API-KEY-ID': credentials.keyId,
    'APCA-API-SECRET-KEY': credentials.secretKey,
    Accept: 'application/json',
  };
}

/**
 * Text from Alpaca (an error message) made safe to log: the credentials never appear (replaced
 * by the masked key id / `[redacted]`), control characters go, and it is capped at 200 chars.
 */
export function loggableAlpacaText(text: string, credentials: AlpacaCredentials): string {
  let out = text;
  if (credentials.secretKey.length > 0) out = out.split(credentials.secretKey).join('[redacted]');
  if (credentials.keyId.length > 0) out = out.split(credentials.keyId).join(maskKeyId(credentials.keyId));
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  out = out.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return out.length > 200 ? `${out.slice(0, 200)}…` : out;
}
