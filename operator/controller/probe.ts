/**
 * Polls the forwarder's GET /readyz (design §3.2). The transport is injectable: a URL resolver
 * (resource → URL; default the Service DNS name, or the pod IP) and fetch with a timeout. The
 * body is parsed with the shared zod schema; anything that fails (no URL, connection refused,
 * timeout, non-JSON, schema mismatch, a status code that contradicts `ready`) is `unknown` with
 * a stable reason and is never trusted.
 */

import { type ReadinessBody, readinessBodySchema } from '../../contracts/readiness.ts';
import { BodyTooLargeError, readBoundedText } from '../../lib/http/bounded-body.ts';

export interface ProbeTarget {
  namespace: string;
  /** The AlpacaForwarder's name. */
  name: string;
  /** Name of the forwarder's Service. */
  serviceName: string;
  /** IP of the forwarder pod that is running, when known. */
  podIP?: string;
}

export type ProbeOutcome =
  | { kind: 'reported'; httpStatus: number; body: ReadinessBody }
  | { kind: 'unknown'; reason: ProbeFailureReason; detail: string };

export type ProbeFailureReason = 'no_endpoint' | 'unreachable' | 'timeout' | 'bad_status' | 'bad_body';

export interface ReadinessProbe {
  probe(target: ProbeTarget, signal?: AbortSignal): Promise<ProbeOutcome>;
}

export type UrlResolver = (target: ProbeTarget) => string | undefined;

/** http://<service>.<namespace>.svc:<port>/readyz — the forwarder's Service. */
export function serviceUrlResolver(port: number): UrlResolver {
  return (t) => `http://${t.serviceName}.${t.namespace}.svc:${port}/readyz`;
}

/** http://<podIP>:<port>/readyz; no URL while the pod has no IP. */
export function podIpUrlResolver(port: number): UrlResolver {
  return (t) =>
    t.podIP ? `http://${t.podIP.includes(':') ? `[${t.podIP}]` : t.podIP}:${port}/readyz` : undefined;
}

export type FetchFn = (
  url: string,
  init: { signal: AbortSignal; headers: Record<string, string> },
) => Promise<Response>;

export interface HttpProbeOptions {
  resolveUrl: UrlResolver;
  timeoutMs?: number;
  fetch?: FetchFn;
  /** Largest body read, in bytes. */
  maxBodyBytes?: number;
}

export class HttpReadinessProbe implements ReadinessProbe {
  readonly #resolve: UrlResolver;
  readonly #timeoutMs: number;
  readonly #fetch: FetchFn;
  readonly #maxBody: number;

  constructor(opts: HttpProbeOptions) {
    this.#resolve = opts.resolveUrl;
    this.#timeoutMs = opts.timeoutMs ?? 3000;
    this.#fetch = opts.fetch ?? ((url, init) => fetch(url, init));
    this.#maxBody = opts.maxBodyBytes ?? 64 * 1024;
  }

  async probe(target: ProbeTarget, signal?: AbortSignal): Promise<ProbeOutcome> {
    const url = this.#resolve(target);
    if (url === undefined)
      return { kind: 'unknown', reason: 'no_endpoint', detail: 'no address for the forwarder yet' };
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let res: Response;
    let text: string;
    try {
      res = await this.#fetch(url, { signal: combined, headers: { accept: 'application/json' } });
      text = await readBoundedText(res, this.#maxBody);
    } catch (err) {
      if (err instanceof BodyTooLargeError)
        return { kind: 'unknown', reason: 'bad_body', detail: err.message };
      if (timeout.aborted)
        return { kind: 'unknown', reason: 'timeout', detail: `no answer within ${this.#timeoutMs} ms` };
      const code = (err as { cause?: { code?: unknown } })?.cause?.code;
      return {
        kind: 'unknown',
        reason: 'unreachable',
        detail: typeof code === 'string' ? code : 'request failed',
      };
    }
    if (res.status !== 200 && res.status !== 503) {
      return { kind: 'unknown', reason: 'bad_status', detail: `HTTP ${res.status}` };
    }
    return parseReadiness(res.status, text);
  }
}

/** Validates a /readyz answer; exported for tests and for other transports. */
export function parseReadiness(httpStatus: number, text: string): ProbeOutcome {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'unknown', reason: 'bad_body', detail: 'body is not JSON' };
  }
  const parsed = readinessBodySchema.safeParse(json);
  if (!parsed.success) {
    const paths = parsed.error.issues.map((i) => i.path.join('.') || '(root)');
    return {
      kind: 'unknown',
      reason: 'bad_body',
      detail: `body does not match the readiness contract at ${[...new Set(paths)].join(', ')}`,
    };
  }
  if (parsed.data.ready !== (httpStatus === 200)) {
    return {
      kind: 'unknown',
      reason: 'bad_body',
      detail: `ready=${parsed.data.ready} contradicts HTTP ${httpStatus}`,
    };
  }
  return { kind: 'reported', httpStatus, body: parsed.data };
}
