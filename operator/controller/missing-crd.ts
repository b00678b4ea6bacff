/**
 * While the AlpacaForwarder CRD is not installed, the list of AlpacaForwarders answers 404 on
 * every retry. This says so once ("CRD … not installed; waiting", warn), keeps the retries (which
 * back off as every watch restart does) out of the log, and says once when the resource is served.
 * Right after the CRD is created the API server answers 429 "storage is (re)initializing" for a
 * moment: while waiting, that (and a 503) is part of the CRD appearing, not a warning.
 */
import type { Logger } from 'pino';
import { isNotFound, KubeError } from '../kube/errors.ts';

/** A 404 from a list or a watch (a KubeError), or any other Error carrying statusCode 404. */
export function isMissingResource(err: unknown): boolean {
  if (isNotFound(err)) return true;
  return err instanceof Error && (err as Error & { statusCode?: unknown }).statusCode === 404;
}

export class MissingCrdReporter {
  readonly #logger: Logger;
  readonly #crd: string;
  #waiting = false;

  constructor(logger: Logger, crd: string) {
    this.#logger = logger;
    this.#crd = crd;
  }

  get waiting(): boolean {
    return this.#waiting;
  }

  /**
   * A list or watch of the resource failed with `err`: true when this reporter accounts for it
   * (a 404, or a 429/503 while the CRD is appearing), false when it is an error to log as usual.
   */
  absorbs(err: unknown): boolean {
    if (isMissingResource(err)) {
      this.notFound();
      return true;
    }
    if (this.#waiting && err instanceof KubeError && (err.status === 429 || err.status === 503)) {
      this.#logger.debug({ crd: this.#crd, err }, `CRD ${this.#crd} not served yet`);
      return true;
    }
    return false;
  }

  /** A list or watch of the resource answered 404. */
  notFound(): void {
    if (this.#waiting) return;
    this.#waiting = true;
    this.#logger.warn({ crd: this.#crd }, `CRD ${this.#crd} not installed; waiting`);
  }

  /** A list of the resource succeeded. */
  served(): void {
    if (!this.#waiting) return;
    this.#waiting = false;
    this.#logger.info({ crd: this.#crd }, `CRD ${this.#crd} installed; watching`);
  }
}
