/** IPC messages between bench/versus/main.ts and its generator process (sim-child.ts). */
export interface CpuSample {
  offered: number;
  cpuMs: number;
  /** Current RSS of the process under test (MB). */
  rssMb: number;
  atMs: number;
}
export type ToSim =
  | {
      op: 'offer';
      id: number;
      pid: number;
      rate: number;
      events: number;
      frameMax: number;
      symbols: string[];
      seed: number;
      /** Stop after this long even if fewer than `events` were offered (a starved generator). */
      maxMs: number;
    }
  | { op: 'connections'; id: number; symbol: string }
  | { op: 'close' };
export type FromSim =
  | { op: 'ready'; stream: string; rest: string }
  | {
      op: 'offered';
      id: number;
      offered: number;
      cutShort: boolean;
      startMs: number;
      endMs: number;
      samples: CpuSample[];
    }
  | { op: 'connections'; id: number; list: { id: number; open: boolean; subscribed: boolean }[] };
