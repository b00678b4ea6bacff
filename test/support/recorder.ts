/** Collects values and lets a test await the first one (past or future) that matches. */
export interface Recorder<T> {
  push(value: T): void;
  readonly all: readonly T[];
  /** Resolves with the first value at index >= from that matches. */
  waitFor(pred: (v: T) => boolean, from?: number, label?: string): Promise<T>;
}

export function createRecorder<T>(timeoutMs = 15_000): Recorder<T> {
  const all: T[] = [];
  const waiters: { pred: (v: T) => boolean; from: number; resolve: (v: T) => void }[] = [];
  return {
    all,
    push(value) {
      all.push(value);
      const index = all.length - 1;
      for (const w of [...waiters]) {
        if (index >= w.from && w.pred(value)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(value);
        }
      }
    },
    waitFor(pred, from = 0, label = 'value') {
      for (let i = from; i < all.length; i++) {
        const v = all[i] as T;
        if (pred(v)) return Promise.resolve(v);
      }
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`timed out waiting for ${label}; seen: ${JSON.stringify(all).slice(-2000)}`));
        }, timeoutMs);
        waiters.push({
          pred,
          from,
          resolve: (v) => {
            clearTimeout(timer);
            resolve(v);
          },
        });
      });
    },
  };
}
