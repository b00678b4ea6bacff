/**
 * Optional resource types (e.g. the Prometheus Operator's PodMonitor): whether the cluster serves
 * one, asked of API discovery at most once per `ttlMs` so installing the CRD later is picked up
 * without an operator restart. A failed lookup keeps the last answer (false before the first).
 */
import type { Timers } from './timers.ts';

export interface OptionalKind {
  served(): Promise<boolean>;
}

export const DISCOVERY_TTL_MS = 5 * 60_000;

export function optionalKind(
  check: () => Promise<boolean>,
  timers: Pick<Timers, 'now'>,
  opts: { ttlMs?: number; onError?: (err: unknown) => void } = {},
): OptionalKind {
  const ttlMs = opts.ttlMs ?? DISCOVERY_TTL_MS;
  let known = false;
  let checkedAt: number | undefined;
  let inflight: Promise<boolean> | undefined;
  return {
    served() {
      const now = timers.now();
      if (checkedAt !== undefined && now - checkedAt < ttlMs) return Promise.resolve(known);
      inflight ??= check()
        .then((v) => {
          known = v;
          return v;
        })
        .catch((err: unknown) => {
          opts.onError?.(err);
          return known;
        })
        .finally(() => {
          checkedAt = timers.now();
          inflight = undefined;
        });
      return inflight;
    },
  };
}
