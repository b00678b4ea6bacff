/**
 * While the AlpacaForwarder CRD is not installed, the list of AlpacaForwarders answers 404 on
 * every retry. This says so once ("CRD … not installed; waiting", warn), keeps the retries (which
 * back off as every watch restart does) out of the log, and says once when the resource is served.
 */
import type { Logger } from 'pino';
import { isNotFound } from '../kube/errors.ts';

/** A 404 from a list (a KubeError) or from a watch request (client-node's Error with statusCode). */
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
