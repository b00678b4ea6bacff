/**
 * A tiny scripted Alpaca market-data server on 127.0.0.1:0 for unit tests of the stream (the
 * full simulator lives in test/sim/alpaca). Speaks JSON or msgpack per the upgrade's
 * Content-Type and records every connection, client message and close.
 */
import type { AddressInfo } from 'node:net';
import { decode, ExtData, encode, encodeTimeSpecToTimestamp } from '@msgpack/msgpack';
import { WebSocket, WebSocketServer } from 'ws';
import { createRecorder, type Recorder } from '../../../../support/recorder.ts';

export interface FakeConnection {
  id: number;
  path: string;
  contentType: string | undefined;
  /** The Sec-WebSocket-Extensions the client offered (null when none). */
  offeredExtensions: string | null;
  ws: WebSocket;
  messages: Recorder<Record<string, unknown>>;
  closed: Promise<{ code: number }>;
  send(messages: Record<string, unknown>[]): void;
}

export interface FakeAlpacaOptions {
  /** Reply to auth; default authenticated. */
  onAuth?: (conn: FakeConnection, msg: Record<string, unknown>) => Record<string, unknown>;
  /** Reply to subscribe/unsubscribe; default: subscription ack of the running set. */
  onSubscribe?: (conn: FakeConnection, msg: Record<string, unknown>) => Record<string, unknown> | null;
  /** Answer a subscribe/unsubscribe with this instead of acting on it (e.g. a 405); null = act on it. */
  reject?: (msg: Record<string, unknown>) => Record<string, unknown> | null;
  /** Symbols a subscribe leaves out of the set and the ack (as Alpaca does with symbols it does not take). */
  withhold?: () => readonly string[];
  autoPong?: boolean;
  /** Do not send the welcome (a server that accepts the upgrade and then says nothing). */
  silent?: boolean;
  /** Refuse the upgrade with this HTTP status. */
  refuseUpgrade?: () => { status: number; headers?: Record<string, string> } | null;
}

export interface FakeAlpaca {
  url: string;
  connections: Recorder<FakeConnection>;
  close(): Promise<void>;
}

const CHANNELS = ['trades', 'quotes', 'bars', 'updatedBars', 'statuses'] as const;

export function msgpackTs(iso: string, nsec: number): ExtData {
  const sec = Math.floor(Date.parse(iso) / 1000);
  return new ExtData(-1, encodeTimeSpecToTimestamp({ sec, nsec }));
}

export async function startFakeAlpaca(options: FakeAlpacaOptions = {}): Promise<FakeAlpaca> {
  const connections = createRecorder<FakeConnection>();
  let nextId = 1;
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    autoPong: options.autoPong ?? true,
    verifyClient: (_info, cb) => {
      const refuse = options.refuseUpgrade?.() ?? null;
      if (refuse === null) cb(true);
      else cb(false, refuse.status, 'refused', refuse.headers);
    },
  });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  wss.on('connection', (ws, req) => {
    const contentType = req.headers['content-type'];
    const msgpack = contentType === 'application/msgpack';
    const subs: Record<string, Set<string>> = Object.fromEntries(CHANNELS.map((c) => [c, new Set<string>()]));
    const conn: FakeConnection = {
      id: nextId++,
      path: req.url ?? '',
      contentType,
      offeredExtensions: req.headers['sec-websocket-extensions'] ?? null,
      ws,
      messages: createRecorder(),
      closed: new Promise((resolve) => ws.once('close', (code) => resolve({ code }))),
      send(messages) {
        if (ws.readyState !== WebSocket.OPEN) return;
        ws.send(msgpack ? encode(messages) : JSON.stringify(messages), { binary: msgpack });
      },
    };
    ws.on('message', (data, isBinary) => {
      const buf = data as Buffer;
      const msg = (isBinary && msgpack ? decode(buf) : JSON.parse(buf.toString('utf8'))) as Record<
        string,
        unknown
      >;
      conn.messages.push(msg);
      if (msg.action === 'auth') {
        conn.send([options.onAuth?.(conn, msg) ?? { T: 'success', msg: 'authenticated' }]);
      } else if (msg.action === 'subscribe' || msg.action === 'unsubscribe') {
        if (options.onSubscribe) {
          const reply = options.onSubscribe(conn, msg);
          if (reply !== null) conn.send([reply]);
          return;
        }
        const rejected = options.reject?.(msg) ?? null;
        if (rejected !== null) {
          conn.send([rejected]);
          return;
        }
        const withheld = new Set(options.withhold?.() ?? []);
        for (const c of CHANNELS) {
          const list = msg[c];
          if (!Array.isArray(list)) continue;
          for (const s of list) {
            if (msg.action === 'subscribe' && withheld.has(String(s))) continue;
            if (msg.action === 'subscribe') subs[c]?.add(String(s));
            else subs[c]?.delete(String(s));
          }
        }
        const ack: Record<string, unknown> = { T: 'subscription' };
        for (const c of CHANNELS) ack[c] = [...(subs[c] ?? [])].sort();
        conn.send([ack]);
      }
    });
    if (!options.silent) conn.send([{ T: 'success', msg: 'connected' }]);
    connections.push(conn);
  });
  const port = (wss.address() as AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}`,
    connections,
    async close() {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
