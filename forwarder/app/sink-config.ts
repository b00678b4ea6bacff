/** ForwarderConfig → the Kafka sink's config (pure): every producer setting carried through. */
import type { ForwarderConfig } from '../config/types.ts';
import type { KafkaSinkConfig } from '../kafka/sink.ts';

/** The topics the forwarder writes to with this config (checked at start). */
export function allTopics(config: ForwarderConfig): string[] {
  const t = config.kafka.topics;
  const list = [t.status];
  if (config.channels.trades) list.push(t.trades);
  if (config.channels.quotes) list.push(t.quotes);
  if (config.channels.bars || config.channels.updatedBars || config.backfill.bars.enabled) list.push(t.bars);
  if (config.tradeUpdates.enabled) list.push(t.tradeUpdates);
  return [...new Set(list)];
}

export function sinkConfigFor(config: ForwarderConfig): KafkaSinkConfig {
  return {
    brokers: config.kafka.bootstrapServers,
    clientId: config.kafka.clientId,
    securityProtocol: config.kafka.securityProtocol,
    sasl: config.kafka.sasl ?? undefined,
    tlsCaFile: config.kafka.tls.caFile,
    tlsCertFile: config.kafka.tls.certFile,
    tlsKeyFile: config.kafka.tls.keyFile,
    acks: config.kafka.producer.acks,
    compression: config.kafka.producer.compression,
    lingerMs: config.kafka.producer.lingerMs,
    batchBytes: config.kafka.producer.batchBytes,
    maxBufferBytes: config.kafka.producer.maxBufferBytes,
    topics: allTopics(config),
  };
}
