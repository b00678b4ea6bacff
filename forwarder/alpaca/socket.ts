/**
 * The WebSocket edge: a small interface the streams use, and its implementation on `ws`.
 * The adapter turns ws's events into one callback set, reports a refused upgrade with its
 * HTTP status (and Retry-After), and reports exactly one `onClose` per socket.
 */
import WebSocket from 'ws';

export interface SocketEvents {
  onOpen(): void;
  onMessage(data: Buffer, isBinary: boolean): void;
  onPong(): void;
  /** The upgrade was answered with an HTTP status instead of 101. Followed by onClose. */
  onUpgradeRefused(status: number, retryAfter: string | null): void;
  onError(err: Error): void;
  /** Exactly once per socket, whatever ended it. */
  onClose(code: number): void;
}

export interface StreamSocket {
  send(data: string | Uint8Array): void;
  ping(): void;
  /** Close handshake (frees Alpaca's connection slot at once). */
  close(code: number): void;
  /** Drop the TCP connection without a handshake. */
  terminate(): void;
  /** Stop reading from the socket (the peer's data waits in TCP); no-op unless open. */
  pause(): void;
  /** Read again after pause(). */
  resume(): void;
  readonly isOpen: boolean;
}

export interface SocketOptions {
  headers: Record<string, string>;
  /** Bound for the TCP connect + HTTP upgrade. */
  handshakeTimeoutMs: number;
  /** Offer permessage-deflate (compressed frames: less bandwidth, more CPU). Default false. */
  perMessageDeflate?: boolean;
  /**
   * Largest message accepted (after permessage-deflate inflation); a larger one is a protocol
   * error: the socket is closed with 1009 and onClose reports 1009. Default ws's (100 MiB).
   */
  maxPayloadBytes?: number;
}

/** The close code reported when a message exceeded maxPayloadBytes (RFC 6455 "message too big"). */
export const CLOSE_MESSAGE_TOO_BIG = 1009;

export type SocketFactory = (url: string, options: SocketOptions, events: SocketEvents) => StreamSocket;

export const wsSocketFactory: SocketFactory = (url, options, events) => {
  const ws = new WebSocket(url, {
    headers: options.headers,
    handshakeTimeout: options.handshakeTimeoutMs,
    perMessageDeflate: options.perMessageDeflate ?? false,
    followRedirects: false,
    ...(options.maxPayloadBytes !== undefined ? { maxPayload: options.maxPayloadBytes } : {}),
  });
  let closed = false;
  /** Set when ws itself ended the connection for a message over maxPayload. */
  let tooBig = false;
  ws.on('open', () => events.onOpen());
  ws.on('message', (data, isBinary) => {
    // binaryType 'nodebuffer': a Buffer, or its fragments. A view of ws's read chunk, read only.
    events.onMessage(Array.isArray(data) ? Buffer.concat(data) : (data as Buffer), isBinary);
  });
  ws.on('pong', () => events.onPong());
  ws.on('unexpected-response', (_req, res) => {
    const retryAfter = res.headers['retry-after'];
    events.onUpgradeRefused(res.statusCode ?? 0, typeof retryAfter === 'string' ? retryAfter : null);
    res.resume();
    ws.terminate();
  });
  ws.on('error', (err) => {
    if ((err as NodeJS.ErrnoException).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') tooBig = true;
    events.onError(err);
  });
  ws.on('close', (code) => {
    if (closed) return;
    closed = true;
    events.onClose(tooBig ? CLOSE_MESSAGE_TOO_BIG : code);
  });
  return {
    send(data) {
      if (ws.readyState === WebSocket.OPEN) ws.send(data);
    },
    ping() {
      if (ws.readyState === WebSocket.OPEN) ws.ping();
    },
    close(code) {
      if (ws.readyState === WebSocket.OPEN) ws.close(code);
      else if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
    },
    terminate() {
      ws.terminate();
    },
    pause() {
      if (ws.readyState === WebSocket.OPEN) ws.pause();
    },
    resume() {
      if (ws.readyState === WebSocket.OPEN) ws.resume();
    },
    get isOpen() {
      return ws.readyState === WebSocket.OPEN;
    },
  };
};
