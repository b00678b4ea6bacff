/**
 * JSON requests and watch streams to one Kubernetes API server over node:http2, without
 * @kubernetes/client-node: ONE ClientHttp2Session per transport carries every request and every
 * watch as a stream (as client-go does), so the number of TCP connections stays at one however
 * many watches run. The session is opened on first use and replaced when it ends: after a GOAWAY
 * (streams already on it finish there, new ones go to a fresh session), a close or an error.
 * While streams are open the session is pinged every `pingIntervalMs`; no answer within
 * `pingTimeoutMs` destroys it (a half-open connection), which fails its streams so callers retry.
 * The session keeps the process alive only while a stream is open.
 *
 * Errors: an answer outside 2xx rejects with ApiResponseError (statusCode, and the body and
 * headers as non-enumerable properties so that a logged error carries neither); a failed or
 * timed-out exchange with the socket's error (a string `code`) or a TimeoutError. Messages never
 * hold a header, a token or a body.
 */
import http2, { type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import type { KubeClientConfig } from './kube-config.ts';

export interface Http2TransportOptions {
  config: KubeClientConfig;
  /** Sent as User-Agent. */
  userAgent: string;
  /** A request with no progress (headers or data) for this long fails with a TimeoutError; default 60 s. */
  requestTimeoutMs?: number;
  /** Default 30 s (client-go's ReadIdleTimeout). */
  pingIntervalMs?: number;
  /** Default 15 s (client-go's PingTimeout). */
  pingTimeoutMs?: number;
}

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** API path, e.g. /api/v1/namespaces/ns/secrets/s (the server URL's own path prefix is added). */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  /** Serialised as JSON. */
  body?: unknown;
  /** Default application/json when there is a body. */
  contentType?: string;
}

export interface Reply {
  status: number;
  /** The parsed JSON body (undefined when empty). */
  body: unknown;
}

/** The API server answered outside 2xx. `body` (text) and `headers` are not enumerable. */
export class ApiResponseError extends Error {
  override name = 'ApiResponseError';
  readonly statusCode: number;
  declare readonly body: string;
  declare readonly headers: Record<string, string>;
  constructor(statusCode: number, body: string, headers: Record<string, string>) {
    super(`HTTP ${statusCode}`);
    this.statusCode = statusCode;
    Object.defineProperty(this, 'body', { value: body, enumerable: false });
    Object.defineProperty(this, 'headers', { value: headers, enumerable: false });
  }
}

/** No progress within the timeout (name TimeoutError, as AbortSignal.timeout uses). */
export class TransportTimeoutError extends Error {
  override name = 'TimeoutError';
}

/** The stream ended without a complete answer; `code` is the stream's RST code or the session's error code. */
export class StreamClosedError extends Error {
  override name = 'StreamClosedError';
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export interface WatchCallbacks {
  /** One parsed JSON line of the watch stream. */
  onLine(value: unknown): void;
  /** Once, when the stream ends: undefined on a clean end by the server, else the error. Never after stop(). */
  onDone(err?: unknown): void;
}

export interface StreamHandle {
  stop(): void;
}

function flatHeaders(h: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (k.startsWith(':') || v === undefined) continue;
    out[k] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
}

function queryString(q: RequestSpec['query']): string {
  if (!q) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s === '' ? '' : `?${s}`;
}

export class Http2Transport {
  readonly #cfg: KubeClientConfig;
  readonly #origin: string;
  readonly #prefix: string;
  readonly #userAgent: string;
  readonly #requestTimeoutMs: number;
  readonly #pingIntervalMs: number;
  readonly #pingTimeoutMs: number;
  /** The session new streams go to. */
  #current: ClientHttp2Session | undefined;
  /** Every session not yet closed (the current one and those draining after a GOAWAY). */
  readonly #live = new Set<ClientHttp2Session>();
  readonly #active = new Map<ClientHttp2Session, number>();
  #opened = 0;

  constructor(o: Http2TransportOptions) {
    this.#cfg = o.config;
    const url = new URL(o.config.server);
    this.#origin = url.origin;
    this.#prefix = url.pathname.replace(/\/+$/, '');
    this.#userAgent = o.userAgent;
    this.#requestTimeoutMs = o.requestTimeoutMs ?? 60_000;
    this.#pingIntervalMs = o.pingIntervalMs ?? 30_000;
    this.#pingTimeoutMs = o.pingTimeoutMs ?? 15_000;
  }

  /** Sessions (TCP connections) opened so far. */
  get sessionsOpened(): number {
    return this.#opened;
  }

  /** One request; resolves with a 2xx answer, rejects otherwise (see the module comment). */
  request(spec: RequestSpec): Promise<Reply> {
    return new Promise((resolve, reject) => {
      let stream: ClientHttp2Stream;
      const payload = spec.body === undefined ? undefined : Buffer.from(JSON.stringify(spec.body));
      try {
        stream = this.#open(spec, payload);
      } catch (err) {
        reject(err);
        return;
      }
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        fn();
      };
      let status = 0;
      let headers: Record<string, string> = {};
      const chunks: Buffer[] = [];
      stream.on('response', (h) => {
        status = Number(h[':status']);
        headers = flatHeaders(h);
      });
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () =>
        settle(() => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (status < 200 || status >= 300) {
            reject(new ApiResponseError(status, text, headers));
            return;
          }
          if (text === '') {
            resolve({ status, body: undefined });
            return;
          }
          try {
            resolve({ status, body: JSON.parse(text) });
          } catch (err) {
            reject(
              new StreamClosedError('bad_json', `HTTP ${status} with a body that is not JSON`, {
                cause: err,
              }),
            );
          }
        }),
      );
      stream.on('error', (err) => settle(() => reject(err)));
      stream.setTimeout(this.#requestTimeoutMs, () =>
        settle(() => {
          stream.close(http2.constants.NGHTTP2_CANCEL);
          reject(new TransportTimeoutError(`no progress within ${this.#requestTimeoutMs} ms`));
        }),
      );
      stream.on('close', () => settle(() => reject(closedError(stream))));
      stream.end(payload);
    });
  }

  /**
   * A watch: GET `spec` and hand each JSON line to onLine. Returns once the stream is open; a
   * non-2xx answer, a broken line, no data for `inactivityMs` or a broken connection end it via
   * onDone(err); the server ending it (timeoutSeconds) via onDone().
   */
  watch(spec: Omit<RequestSpec, 'method' | 'body'>, cb: WatchCallbacks, inactivityMs: number): StreamHandle {
    const stream = this.#open({ ...spec, method: 'GET' }, undefined);
    let done = false;
    const finish = (err?: unknown) => {
      if (done) return;
      done = true;
      if (!stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
      cb.onDone(err);
    };
    let status = 0;
    let headers: Record<string, string> = {};
    let pending = '';
    const errorBody: string[] = [];
    stream.setEncoding('utf8');
    stream.on('response', (h) => {
      status = Number(h[':status']);
      headers = flatHeaders(h);
    });
    stream.on('data', (chunk: string) => {
      if (done) return;
      if (status < 200 || status >= 300) {
        errorBody.push(chunk);
        return;
      }
      pending += chunk;
      let nl = pending.indexOf('\n');
      while (nl >= 0 && !done) {
        const line = pending.slice(0, nl).trim();
        pending = pending.slice(nl + 1);
        if (line !== '') {
          let value: unknown;
          try {
            value = JSON.parse(line);
          } catch (err) {
            finish(new StreamClosedError('bad_json', 'a watch event that is not JSON', { cause: err }));
            return;
          }
          cb.onLine(value);
        }
        nl = pending.indexOf('\n');
      }
    });
    stream.on('end', () => {
      if (status < 200 || status >= 300) finish(new ApiResponseError(status, errorBody.join(''), headers));
      else finish();
    });
    stream.on('error', (err) => finish(err));
    stream.setTimeout(inactivityMs, () =>
      finish(new TransportTimeoutError(`watch: no data within ${inactivityMs} ms`)),
    );
    stream.on('close', () => finish(closedError(stream)));
    stream.end();
    return {
      stop: () => {
        done = true;
        if (!stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
      },
    };
  }

  /** Destroys every session (after the last request and watch has ended). Later requests open a new one. */
  async close(): Promise<void> {
    const all = [...this.#live];
    this.#current = undefined;
    await Promise.all(
      all.map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.destroyed) {
              resolve();
              return;
            }
            s.once('close', () => resolve());
            s.destroy();
          }),
      ),
    );
  }

  #open(spec: RequestSpec, payload: Buffer | undefined): ClientHttp2Stream {
    const headers: http2.OutgoingHttpHeaders = {
      ':method': spec.method,
      ':path': `${this.#prefix}${spec.path}${queryString(spec.query)}`,
      accept: 'application/json',
      'user-agent': this.#userAgent,
    };
    const token = this.#cfg.token?.();
    if (token) headers.authorization = `Bearer ${token}`;
    if (payload) {
      headers['content-type'] = spec.contentType ?? 'application/json';
      headers['content-length'] = payload.length;
    }
    const session = this.#session();
    let stream: ClientHttp2Stream;
    try {
      stream = session.request(headers, { endStream: false });
    } catch (err) {
      // e.g. stream ids exhausted or the session closing: the next request opens a new one.
      this.#retire(session);
      throw err;
    }
    this.#track(session, stream);
    return stream;
  }

  #session(): ClientHttp2Session {
    const s = this.#current;
    if (s && !s.closed && !s.destroyed) return s;
    const cfg = this.#cfg;
    const session = http2.connect(this.#origin, {
      ...(cfg.ca ? { ca: cfg.ca } : {}),
      ...(cfg.cert ? { cert: cfg.cert } : {}),
      ...(cfg.key ? { key: cfg.key } : {}),
      // Large lists arrive without waiting on WINDOW_UPDATEs; data is consumed as it arrives.
      settings: { initialWindowSize: 1 << 20 },
      maxSessionMemory: 32,
    });
    this.#opened++;
    this.#current = session;
    this.#live.add(session);
    this.#active.set(session, 0);
    session.unref();
    session.once('connect', () => {
      try {
        session.setLocalWindowSize(8 << 20);
      } catch {
        // a session closed right after connecting
      }
    });
    const timer = setInterval(() => this.#ping(session), this.#pingIntervalMs);
    timer.unref();
    // Errors reach the streams on the session; the session itself is just replaced.
    session.on('error', () => this.#retire(session));
    session.on('goaway', () => this.#retire(session));
    session.once('close', () => {
      clearInterval(timer);
      this.#retire(session);
      this.#live.delete(session);
      this.#active.delete(session);
    });
    return session;
  }

  #ping(session: ClientHttp2Session): void {
    if ((this.#active.get(session) ?? 0) === 0 || session.destroyed || session.connecting) return;
    let answered = false;
    const deadline = setTimeout(() => {
      if (!answered)
        session.destroy(new StreamClosedError('ping_timeout', 'API server did not answer a ping'));
    }, this.#pingTimeoutMs);
    deadline.unref();
    try {
      session.ping((err) => {
        answered = true;
        clearTimeout(deadline);
        if (err && !session.destroyed) session.destroy(err);
      });
    } catch {
      clearTimeout(deadline);
    }
  }

  /** No new stream goes to this session; it closes once its streams have ended. */
  #retire(session: ClientHttp2Session): void {
    if (this.#current === session) this.#current = undefined;
    if (!session.closed && !session.destroyed) {
      try {
        session.close();
      } catch {
        // already closing
      }
    }
  }

  #track(session: ClientHttp2Session, stream: ClientHttp2Stream): void {
    const n = (this.#active.get(session) ?? 0) + 1;
    this.#active.set(session, n);
    if (n === 1) session.ref();
    stream.once('close', () => {
      const left = (this.#active.get(session) ?? 1) - 1;
      this.#active.set(session, left);
      if (left === 0 && !session.destroyed) session.unref();
    });
  }
}

function closedError(stream: ClientHttp2Stream): StreamClosedError {
  const code = stream.rstCode;
  return new StreamClosedError(
    `rst_${code ?? 'unknown'}`,
    `the stream closed before a complete answer (HTTP/2 code ${code ?? 'unknown'})`,
  );
}
