/**
 * Alpaca's market-data stream protocol as data: error codes with their exact texts, channel
 * names, endpoint paths, and builders for the control messages (alpaca-protocol.md §1-§2).
 */
export const ERRORS = {
  invalidSyntax: { code: 400, msg: 'invalid syntax' },
  notAuthenticated: { code: 401, msg: 'not authenticated' },
  authFailed: { code: 402, msg: 'auth failed' },
  alreadyAuthenticated: { code: 403, msg: 'already authenticated' },
  authTimeout: { code: 404, msg: 'auth timeout' },
  symbolLimit: { code: 405, msg: 'symbol limit exceeded' },
  connectionLimit: { code: 406, msg: 'connection limit exceeded' },
  slowClient: { code: 407, msg: 'slow client' },
  insufficientSubscription: { code: 409, msg: 'insufficient subscription' },
  invalidSubscribeAction: { code: 410, msg: 'invalid subscribe action for this feed' },
  insufficientScope: { code: 411, msg: 'insufficient scope' },
  optionsMsgpackOnly: { code: 412, msg: 'option messages are only available in MsgPack format' },
  optionsStarQuotes: { code: 413, msg: 'star subscription is not allowed for option quotes' },
  internalError: { code: 500, msg: 'internal error' },
} as const;

export const OPTIONS_PATHS = ['/v1beta1/indicative', '/v1beta1/opra'];

export type ErrorName = keyof typeof ERRORS;
export type AlpacaError = (typeof ERRORS)[ErrorName];

/** Stock channel keys a client may subscribe to, in the order Alpaca lists them. */
export const STOCK_CHANNELS = [
  'trades',
  'quotes',
  'bars',
  'updatedBars',
  'dailyBars',
  'statuses',
  'lulds',
  'imbalances',
] as const;
export type StockChannel = (typeof STOCK_CHANNELS)[number];

/** Channels that follow `trades` and cannot be requested directly. */
export const MIRRORED_CHANNELS = ['corrections', 'cancelErrors'] as const;
export type MirroredChannel = (typeof MIRRORED_CHANNELS)[number];

/** Channels other Alpaca streams offer; asking a stock stream for them gets 410. */
export const FOREIGN_CHANNELS = ['orderbooks', 'news'] as const;

/** Message `T` → the channel whose subscription admits it. */
export const CHANNEL_OF_TYPE: Readonly<Record<string, StockChannel | MirroredChannel>> = {
  t: 'trades',
  q: 'quotes',
  b: 'bars',
  u: 'updatedBars',
  d: 'dailyBars',
  s: 'statuses',
  l: 'lulds',
  i: 'imbalances',
  c: 'corrections',
  x: 'cancelErrors',
};

export const STOCK_FEEDS = ['iex', 'sip', 'delayed_sip', 'test'] as const;
export type StockFeed = (typeof STOCK_FEEDS)[number];

/** Paths served with a minimal stream (welcome, auth, 410 for any subscribe) and no data. */
export const MINIMAL_PATHS = [
  '/v1beta1/boats',
  '/v1beta1/overnight',
  '/v1beta1/indicative',
  '/v1beta1/opra',
  '/v1beta1/news',
  '/v1beta3/crypto/us',
  '/v1beta3/crypto/us-1',
  '/v1beta3/crypto/eu-1',
] as const;

export type Endpoint =
  | { kind: 'stock'; feed: StockFeed; path: string }
  | { kind: 'minimal'; path: string }
  | { kind: 'trading'; path: string };

/** Maps an upgrade path to the endpoint it serves, or null (404). */
export function endpointOf(pathname: string): Endpoint | null {
  const m = /^\/v2\/([a-z_]+)$/.exec(pathname);
  if (m !== null && (STOCK_FEEDS as readonly string[]).includes(m[1] as string)) {
    return { kind: 'stock', feed: m[1] as StockFeed, path: pathname };
  }
  if ((MINIMAL_PATHS as readonly string[]).includes(pathname)) return { kind: 'minimal', path: pathname };
  if (pathname === '/stream') return { kind: 'trading', path: pathname };
  return null;
}

export const WELCOME = { T: 'success', msg: 'connected' } as const;
export const AUTHENTICATED = { T: 'success', msg: 'authenticated' } as const;

export function errorMessage(e: AlpacaError): { T: 'error'; code: number; msg: string } {
  return { T: 'error', code: e.code, msg: e.msg };
}
