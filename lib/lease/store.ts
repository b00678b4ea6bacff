/**
 * The Lease as the elector sees it, behind a small interface: get, create and replace with the
 * resourceVersion read (optimistic concurrency). kube-store.ts implements it on
 * coordination.k8s.io/v1; unit tests use an in-memory fake.
 */

/** The fields of a coordination.k8s.io/v1 Lease the elector uses. */
export interface LeaseSpec {
  /** null when nobody holds it (released). */
  holderIdentity: string | null;
  leaseDurationSeconds: number | null;
  /** ms since the epoch; null when unset. */
  acquireTimeMs: number | null;
  renewTimeMs: number | null;
  leaseTransitions: number;
}

export interface LeaseRecord extends LeaseSpec {
  resourceVersion: string;
}

export interface LeaseStore {
  /** The Lease, or undefined when it does not exist. */
  get(): Promise<LeaseRecord | undefined>;
  /** Creates it; LeaseConflictError when it already exists. */
  create(spec: LeaseSpec): Promise<LeaseRecord>;
  /** Replaces it if still at `resourceVersion`; LeaseConflictError when someone wrote first. */
  replace(resourceVersion: string, spec: LeaseSpec): Promise<LeaseRecord>;
}

/** Someone else wrote the Lease first (HTTP 409): a lost race, not a failure. */
export class LeaseConflictError extends Error {
  override name = 'LeaseConflictError';
}

/**
 * Any other failure talking to the API server. `code` is a short stable token for logs and
 * readiness detail (e.g. `http_403`, `network`), never an upstream message.
 */
export class LeaseStoreError extends Error {
  override name = 'LeaseStoreError';
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
