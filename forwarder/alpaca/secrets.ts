/** The only form of an Alpaca key id that may appear in logs. The secret never does. */
export function maskKeyId(keyId: string): string {
  if (keyId.length <= 4) return '****';
  return `${keyId.slice(0, 4)}****`;
}

export interface AlpacaCredentials {
  keyId: string;
  secretKey: string;
}
