/**
 * Alpaca failures → readiness error class, stable reason and what to do next (pure).
 *
 * Retry kinds:
 * - `transient`: reconnect with exponential backoff (network drops, 5xx, slow client, ...).
 * - `cooldown_406`: another session holds the slot; wait at least the lingering window.
 * - `permanent`: the user must fix something (wrong keys, plan, URL); retry on a long fixed
 *   interval so a fix (e.g. a rotated Secret or upgraded plan) is picked up, never a tight loop.
 * - `degrade`: the connection stays up and keeps streaming what it can (e.g. 405 symbol limit:
 *   Alpaca leaves the previous subscription unchanged).
 *
 * 409 (feed not in plan), 408 and 411 are account problems the user must fix, so they share
 * `alpaca_auth` with wrong keys. 405/410/412/413 are `unknown` with a precise reason: the socket
 * works and other symbols still stream.
 */
import type { ErrorClass } from '../../contracts/readiness.ts';

export type RetryKind = 'transient' | 'cooldown_406' | 'permanent' | 'degrade';

export interface Classification {
  errorClass: ErrorClass;
  reason: string;
  retry: RetryKind;
}

const ALPACA_CODES: Readonly<Record<number, Classification>> = {
  400: { errorClass: 'unknown', reason: 'alpaca_400_invalid_syntax', retry: 'degrade' },
  401: { errorClass: 'alpaca_auth', reason: 'alpaca_401_not_authenticated', retry: 'transient' },
  402: { errorClass: 'alpaca_auth', reason: 'alpaca_402_auth_failed', retry: 'permanent' },
  403: { errorClass: 'alpaca_auth', reason: 'alpaca_403_already_authenticated', retry: 'transient' },
  404: { errorClass: 'unknown', reason: 'alpaca_404_auth_timeout', retry: 'transient' },
  405: { errorClass: 'unknown', reason: 'alpaca_405_symbol_limit', retry: 'degrade' },
  406: {
    errorClass: 'alpaca_406_second_connection',
    reason: 'alpaca_406_connection_limit',
    retry: 'cooldown_406',
  },
  407: { errorClass: 'unknown', reason: 'alpaca_407_slow_client', retry: 'transient' },
  408: { errorClass: 'alpaca_auth', reason: 'alpaca_408_v2_not_enabled', retry: 'permanent' },
  409: { errorClass: 'alpaca_auth', reason: 'alpaca_409_insufficient_subscription', retry: 'permanent' },
  410: { errorClass: 'unknown', reason: 'alpaca_410_invalid_subscribe_action', retry: 'degrade' },
  411: { errorClass: 'alpaca_auth', reason: 'alpaca_411_insufficient_scope', retry: 'permanent' },
  412: { errorClass: 'unknown', reason: 'alpaca_412_msgpack_required', retry: 'permanent' },
  413: { errorClass: 'unknown', reason: 'alpaca_413_star_not_allowed', retry: 'degrade' },
  500: { errorClass: 'unknown', reason: 'alpaca_500_internal_error', retry: 'transient' },
};

/** An `{"T":"error","code":N}` message from the stream. */
export function classifyAlpacaError(code: number): Classification {
  return (
    ALPACA_CODES[code] ?? {
      errorClass: 'unknown',
      reason: `alpaca_error_${Number.isInteger(code) && code >= 0 ? code : 'invalid'}`,
      retry: 'transient',
    }
  );
}

/** The HTTP status of a refused WebSocket upgrade. */
export function classifyUpgradeFailure(status: number): Classification {
  if (status === 401 || status === 403) {
    return { errorClass: 'alpaca_auth', reason: `alpaca_http_${status}`, retry: 'permanent' };
  }
  if (status === 406) {
    return {
      errorClass: 'alpaca_406_second_connection',
      reason: 'alpaca_406_connection_limit',
      retry: 'cooldown_406',
    };
  }
  if (status === 429)
    return { errorClass: 'unknown', reason: 'alpaca_http_429_rate_limited', retry: 'transient' };
  if (status === 404) return { errorClass: 'unknown', reason: 'alpaca_http_404', retry: 'permanent' };
  if (status >= 500 && status <= 599)
    return { errorClass: 'unknown', reason: `alpaca_http_${status}`, retry: 'transient' };
  const code = Number.isInteger(status) && status >= 100 && status <= 599 ? String(status) : 'invalid';
  return { errorClass: 'unknown', reason: `alpaca_http_${code}`, retry: 'transient' };
}

/** The socket closed (by the server or the network) while the forwarder wanted it open. */
export function classifyClose(code: number): Classification {
  // A frame over the size bound (socket.ts maxPayloadBytes): a protocol error, reconnect.
  if (code === 1009) return { errorClass: 'unknown', reason: 'alpaca_frame_too_large', retry: 'transient' };
  const known = Number.isInteger(code) && code >= 1000 && code <= 4999 ? String(code) : 'unknown';
  return { errorClass: 'unknown', reason: `alpaca_ws_closed_${known}`, retry: 'transient' };
}

/** Failures the forwarder detects itself. */
export const LOCAL_FAILURES = {
  connectFailed: { errorClass: 'unknown', reason: 'alpaca_ws_connect_failed', retry: 'transient' },
  handshakeTimeout: { errorClass: 'unknown', reason: 'alpaca_handshake_timeout', retry: 'transient' },
  pingTimeout: { errorClass: 'unknown', reason: 'alpaca_ping_timeout', retry: 'transient' },
  stale: { errorClass: 'unknown', reason: 'alpaca_stream_stale', retry: 'transient' },
  protocol: { errorClass: 'unknown', reason: 'alpaca_protocol_violation', retry: 'transient' },
  tradeUpdatesUnauthorized: {
    errorClass: 'alpaca_auth',
    reason: 'alpaca_trade_updates_unauthorized',
    retry: 'permanent',
  },
} as const satisfies Record<string, Classification>;

/**
 * The trading stream's error frame `{"action":"error","data":{"error_message":"..."}}` (it has no
 * code) → class by its text: credential problems are `alpaca_auth` (retried on the long permanent
 * interval), a connection limit is the 406 class, anything else a transient `unknown`.
 */
export function classifyTradeStreamError(message: string): Classification {
  if (/connection limit/i.test(message)) {
    return {
      errorClass: 'alpaca_406_second_connection',
      reason: 'alpaca_trade_updates_connection_limit',
      retry: 'cooldown_406',
    };
  }
  if (/auth|unauthori[sz]ed|forbidden|access key|api key|credential|secret/i.test(message)) {
    return { errorClass: 'alpaca_auth', reason: 'alpaca_trade_updates_auth_error', retry: 'permanent' };
  }
  return { errorClass: 'unknown', reason: 'alpaca_trade_updates_error', retry: 'transient' };
}
