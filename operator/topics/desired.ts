/**
 * The topics one AlpacaForwarder writes to, with the settings the operator creates them with
 * (mode ensure or strimzi): retention per record kind (trades, quotes, status and trade updates
 * 7 days, bars 30 days), lz4 compression, min.insync.replicas one below the replication factor
 * (at least 1), and the spec's partitions and replication factor. Pure.
 *
 * The set of topics is the forwarder's own (forwarder/app/sink-config.ts allTopics): status
 * always, trades/quotes/bars when their channel (or the bars backfill) is on, trade updates when
 * enabled. A name shared by two kinds is one topic with the longer retention.
 */
import type { AlpacaForwarder } from '../api/types.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

export const RETENTION_MS = {
  trades: 7 * DAY_MS,
  quotes: 7 * DAY_MS,
  bars: 30 * DAY_MS,
  status: 7 * DAY_MS,
  tradeUpdates: 7 * DAY_MS,
} as const;

export type RecordKind = keyof typeof RETENTION_MS;

/** The topic-level configs the operator sets and compares (Kafka config names). */
export const MANAGED_CONFIGS = ['retention.ms', 'compression.type', 'min.insync.replicas'] as const;
export type ManagedConfig = (typeof MANAGED_CONFIGS)[number];

export interface DesiredTopic {
  name: string;
  /** The record kinds written to it (a name shared by two kinds lists both). */
  kinds: RecordKind[];
  partitions: number;
  replicationFactor: number;
  configs: Record<ManagedConfig, string>;
}

export function minInsyncReplicas(replicationFactor: number): number {
  return Math.max(1, replicationFactor - 1);
}

/** The record kinds the forwarder writes with this spec, in a fixed order. */
export function writtenKinds(af: AlpacaForwarder): RecordKind[] {
  const { channels, backfill, tradeUpdates } = af.spec;
  const kinds: RecordKind[] = ['status'];
  if (channels.trades) kinds.push('trades');
  if (channels.quotes) kinds.push('quotes');
  if (channels.bars || channels.updatedBars || backfill.bars.enabled) kinds.push('bars');
  if (tradeUpdates.enabled) kinds.push('tradeUpdates');
  return kinds;
}

/** The desired topics, sorted by name. */
export function desiredTopics(af: AlpacaForwarder): DesiredTopic[] {
  const t = af.spec.kafka.topics;
  const byName = new Map<string, RecordKind[]>();
  for (const kind of writtenKinds(af)) byName.set(t[kind], [...(byName.get(t[kind]) ?? []), kind]);
  return [...byName.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, kinds]) => ({
      name,
      kinds,
      partitions: t.partitions,
      replicationFactor: t.replicationFactor,
      configs: {
        'retention.ms': String(Math.max(...kinds.map((k) => RETENTION_MS[k]))),
        'compression.type': 'lz4',
        'min.insync.replicas': String(minInsyncReplicas(t.replicationFactor)),
      },
    }));
}
