/**
 * Maps failures of the Kubernetes API (an answer outside 2xx, a broken watch, network errors) to
 * one typed error so that callers decide retry or give-up in one place.
 */

export type KubeErrorKind =
  | 'NotFound'
  | 'Conflict'
  | 'Invalid'
  | 'Gone'
  | 'TooManyRequests'
  | 'Unauthorized'
  | 'Forbidden'
  | 'ServerError'
  | 'Network'
  | 'Aborted'
  | 'Other';

/**
 * The parts of a Kubernetes `Status` answer that may be shown to users: its machine reason,
 * its message and the field paths of its causes. Never the raw body or the headers.
 */
export interface ApiStatus {
  reason: string | undefined;
  message: string | undefined;
  /** `details.causes[].field`, e.g. `spec.template.spec.containers[0].image`. */
  fields: string[];
}

export interface KubeErrorInfo {
  /** The request, e.g. "apply Deployment ns/name" (built by the operator from kinds and names). */
  request?: string;
  /** The server's Status object, when it answered with one. */
  apiStatus?: ApiStatus;
}

export class KubeError extends Error {
  readonly kind: KubeErrorKind;
  /** HTTP status, 0 when the request never got an answer. */
  readonly status: number;
  /** Retry-After from a 429/503, in seconds, when the server sent one. */
  readonly retryAfterSeconds: number | undefined;
  readonly request: string | undefined;
  readonly apiStatus: ApiStatus | undefined;

  constructor(
    kind: KubeErrorKind,
    status: number,
    message: string,
    retryAfterSeconds?: number,
    cause?: unknown,
    info: KubeErrorInfo = {},
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'KubeError';
    this.kind = kind;
    this.status = status;
    this.retryAfterSeconds = retryAfterSeconds;
    this.request = info.request;
    this.apiStatus = info.apiStatus;
  }

  /** Whether the same request may succeed later without any change on our side. */
  get retryable(): boolean {
    return (
      this.kind === 'Conflict' ||
      this.kind === 'TooManyRequests' ||
      this.kind === 'ServerError' ||
      this.kind === 'Network' ||
      this.kind === 'Gone'
    );
  }
}

export function kindForStatus(status: number): KubeErrorKind {
  if (status === 404) return 'NotFound';
  if (status === 409) return 'Conflict';
  if (status === 410) return 'Gone';
  if (status === 422 || status === 400) return 'Invalid';
  if (status === 429) return 'TooManyRequests';
  if (status === 401) return 'Unauthorized';
  if (status === 403) return 'Forbidden';
  if (status >= 500) return 'ServerError';
  if (status === 0) return 'Network';
  return 'Other';
}

interface StatusBody {
  kind?: unknown;
  message?: unknown;
  reason?: unknown;
  details?: { causes?: unknown };
}

function parseBody(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

function statusMessage(body: unknown): string | undefined {
  const parsed = parseBody(body);
  if (typeof parsed === 'string') return parsed.length > 0 ? parsed.slice(0, 2000) : undefined;
  if (parsed !== null && typeof parsed === 'object') {
    const m = (parsed as StatusBody).message;
    if (typeof m === 'string') return m;
  }
  return undefined;
}

/** The user-showable fields of a Status body; undefined when the body is not a Status object. */
export function apiStatusOf(body: unknown): ApiStatus | undefined {
  const parsed = parseBody(body);
  if (parsed === null || typeof parsed !== 'object') return undefined;
  const b = parsed as StatusBody;
  if (b.kind !== 'Status') return undefined;
  const causes = Array.isArray(b.details?.causes) ? (b.details.causes as unknown[]) : [];
  const fields = causes
    .map((c) => (c !== null && typeof c === 'object' ? (c as { field?: unknown }).field : undefined))
    .filter((f): f is string => typeof f === 'string' && f.length > 0);
  return {
    reason: typeof b.reason === 'string' && b.reason.length > 0 ? b.reason : undefined,
    message: typeof b.message === 'string' && b.message.length > 0 ? b.message : undefined,
    fields: [...new Set(fields)],
  };
}

function headerValue(headers: unknown, name: string): string | undefined {
  if (headers === null || typeof headers !== 'object') return undefined;
  for (const [k, v] of Object.entries(headers as Record<string, unknown>)) {
    if (k.toLowerCase() === name && typeof v === 'string') return v;
  }
  return undefined;
}

/**
 * Converts anything a request or a watch failed with (lib/kube/http2-transport.ts: an
 * ApiResponseError with statusCode, body and headers; a socket error; a TimeoutError) into a
 * KubeError. `what` names the request (e.g. "apply Deployment ns/name") and starts the message.
 */
export function toKubeError(err: unknown, what: string): KubeError {
  if (err instanceof KubeError) return err;
  if (err !== null && typeof err === 'object') {
    const e = err as {
      code?: unknown;
      statusCode?: unknown;
      body?: unknown;
      headers?: unknown;
      name?: unknown;
      message?: unknown;
    };
    if (e.name === 'AbortError' || (e.name === 'TimeoutError' && typeof e.code !== 'number')) {
      const kind = e.name === 'AbortError' ? 'Aborted' : 'Network';
      return new KubeError(kind, 0, `${what}: ${String(e.message ?? e.name)}`, undefined, err, {
        request: what,
      });
    }
    const status =
      typeof e.code === 'number' ? e.code : typeof e.statusCode === 'number' ? e.statusCode : undefined;
    if (status !== undefined && status >= 100) {
      const detail = statusMessage(e.body) ?? (typeof e.message === 'string' ? e.message : '');
      const retryAfter = Number(headerValue(e.headers, 'retry-after'));
      const apiStatus = apiStatusOf(e.body);
      return new KubeError(
        kindForStatus(status),
        status,
        `${what}: HTTP ${status}${detail ? `: ${detail}` : ''}`,
        Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
        err,
        apiStatus ? { request: what, apiStatus } : { request: what },
      );
    }
    const msg = typeof e.message === 'string' ? e.message : String(err);
    return new KubeError('Network', 0, `${what}: ${msg}`, undefined, err, { request: what });
  }
  return new KubeError('Other', 0, `${what}: ${String(err)}`, undefined, err, { request: what });
}

export function isNotFound(err: unknown): boolean {
  return err instanceof KubeError && err.kind === 'NotFound';
}
