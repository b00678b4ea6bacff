/**
 * Renders the forwarder's config file (forwarder/contracts/config-file.ts) from the resource:
 * the spec's camelCase shape minus everything Kubernetes-only, never a secret (the schema has no
 * field for one). The result is validated with the forwarder's own zod schema.
 */
import {
  CONFIG_DEFAULTS,
  CONFIG_FILE_VERSION,
  type ConfigFileInput,
  configFileSchema,
} from '../../contracts/config-file.ts';
import { after406Ms } from '../api/reconnect.ts';
import type { AlpacaForwarder } from '../api/types.ts';
import { shortHash } from './hash.ts';
import { FORWARDER_POD, type OperatorSettings } from './settings.ts';
import { STRIMZI_USER_SECRET_KEYS, strimziUserName, usesStrimziUser } from './strimzi.ts';

export class InvalidConfigFileError extends Error {
  readonly issues: string[];
  constructor(resource: string, issues: string[]) {
    super(`rendered config file for ${resource} is invalid: ${issues.join('; ')}`);
    this.name = 'InvalidConfigFileError';
    this.issues = issues;
  }
}

/** Fields the forwarder applies on the live socket; a change to them alone must not roll the pod. */
export const HOT_RELOADED_FIELDS = ['symbols', 'channels'] as const;

type TopLevelNumber = 'lagThresholdMs' | 'channelStaleAfterMs' | 'heartbeatIntervalMs';

/**
 * `{ key: value }` when the spec sets a value other than the forwarder's default, else nothing:
 * a resource at the defaults keeps its config file and hash when a setting is added.
 */
function unlessDefault<K extends TopLevelNumber>(key: K, value: number | undefined): { [P in K]?: number } {
  return value !== undefined && value !== CONFIG_DEFAULTS[key]
    ? ({ [key]: value } as { [P in K]?: number })
    : {};
}

/** The config file content, keys in a fixed order. Throws InvalidConfigFileError naming each bad key. */
export function renderConfigFile(af: AlpacaForwarder, settings: OperatorSettings): ConfigFileInput {
  const { spec, metadata } = af;
  const kafka = spec.kafka;
  const strimziUser = usesStrimziUser(af) ? kafka.topics.strimzi?.authentication : undefined;
  const file: ConfigFileInput = {
    version: CONFIG_FILE_VERSION,
    feed: spec.feed,
    encoding: spec.encoding,
    // Only when on: the default (off, the forwarder's own default) leaves the file and its hash
    // as they were, so upgrading does not roll every forwarder pod.
    ...(spec.perMessageDeflate ? { perMessageDeflate: true } : {}),
    // Only when not the default (the forwarder's own): the file and its hash stay as they were.
    ...unlessDefault('lagThresholdMs', spec.lagThresholdMs),
    ...unlessDefault('channelStaleAfterMs', spec.channelStaleAfterMs),
    ...unlessDefault('heartbeatIntervalMs', spec.heartbeatIntervalMs),
    streamUrl: spec.streamUrl,
    dataUrl: spec.dataUrl,
    symbols: [...(spec.symbols ?? [])],
    ...(spec.symbolsFrom
      ? {
          symbolsFrom: {
            url: spec.symbolsFrom.url,
            pollIntervalSeconds: spec.symbolsFrom.pollIntervalSeconds,
            // The directory only: the values are mounted from their Secrets (deployment.ts).
            ...(spec.symbolsFrom.headersFrom?.length ? { headersDir: FORWARDER_POD.symbolsHeadersDir } : {}),
          },
        }
      : {}),
    channels: {
      trades: spec.channels.trades,
      quotes: spec.channels.quotes,
      bars: spec.channels.bars,
      updatedBars: spec.channels.updatedBars,
      statuses: spec.channels.statuses,
    },
    tradeUpdates: {
      enabled: spec.tradeUpdates.enabled,
      ...(spec.tradeUpdates.streamUrl ? { streamUrl: spec.tradeUpdates.streamUrl } : {}),
      // Only when off (on is the forwarder's default): the file and its hash stay as they were.
      ...(spec.tradeUpdates.reconcileFills !== CONFIG_DEFAULTS.tradeUpdates.reconcileFills
        ? { reconcileFills: spec.tradeUpdates.reconcileFills }
        : {}),
    },
    backfill: {
      bars: { enabled: spec.backfill.bars.enabled, lookbackMinutes: spec.backfill.bars.lookbackMinutes },
      // trades/quotes only when they differ from the forwarder's defaults (trades on, quotes
      // off): resources that keep the defaults keep their config hash, so no pod rolls for it.
      gapFill: {
        enabled: spec.backfill.gapFill.enabled,
        ...(spec.backfill.gapFill.trades !== CONFIG_DEFAULTS.backfill.gapFill.trades
          ? { trades: spec.backfill.gapFill.trades }
          : {}),
        ...(spec.backfill.gapFill.quotes !== CONFIG_DEFAULTS.backfill.gapFill.quotes
          ? { quotes: spec.backfill.gapFill.quotes }
          : {}),
      },
    },
    kafka: {
      bootstrapServers: [...kafka.bootstrapServers],
      clientId: `alpaca-forwarder.${metadata.namespace}.${metadata.name}`,
      securityProtocol: kafka.securityProtocol,
      // mode strimzi: the KafkaUser's credentials (operator/desired/strimzi.ts) instead of spec.kafka.sasl.
      ...(strimziUser === 'scram-sha-512'
        ? { sasl: { mechanism: 'SCRAM-SHA-512' as const, username: strimziUserName(af) } }
        : {}),
      ...(kafka.sasl
        ? {
            sasl: {
              mechanism: kafka.sasl.mechanism,
              // A username kept in the Secret reaches the forwarder as env KAFKA_SASL_USER.
              ...(kafka.sasl.username ? { username: kafka.sasl.username } : {}),
            },
          }
        : {}),
      ...(kafka.tls?.caSecretRef || strimziUser === 'tls'
        ? {
            tls: {
              ...(kafka.tls?.caSecretRef
                ? { caFile: `${FORWARDER_POD.kafkaCaDir}/${FORWARDER_POD.kafkaCaFileName}` }
                : {}),
              ...(strimziUser === 'tls'
                ? {
                    certFile: `${FORWARDER_POD.kafkaClientDir}/${STRIMZI_USER_SECRET_KEYS.cert}`,
                    keyFile: `${FORWARDER_POD.kafkaClientDir}/${STRIMZI_USER_SECRET_KEYS.key}`,
                  }
                : {}),
            },
          }
        : {}),
      producer: {
        lingerMs: kafka.producer.lingerMs,
        batchBytes: kafka.producer.batchBytes,
        compression: kafka.producer.compression,
        acks: -1,
      },
      topics: {
        trades: kafka.topics.trades,
        quotes: kafka.topics.quotes,
        bars: kafka.topics.bars,
        status: kafka.topics.status,
        tradeUpdates: kafka.topics.tradeUpdates,
      },
    },
    dedup: { ttlSeconds: spec.dedup.ttlSeconds, maxEntries: spec.dedup.maxEntries },
    reconnect: {
      baseMs: spec.reconnect.baseMs,
      maxMs: spec.reconnect.maxMs,
      cooldown406Ms: after406Ms(spec.reconnect),
    },
    logLevel: settings.logLevel,
    shutdown: { gracePeriodMs: FORWARDER_POD.shutdownGraceMs },
    // Namespace from env POD_NAMESPACE (downward API).
    lease: { enabled: true },
  };
  const result = configFileSchema.safeParse(file);
  if (!result.success) {
    throw new InvalidConfigFileError(
      `${metadata.namespace}/${metadata.name}`,
      result.error.issues.map((i) => `${i.path.join('.') || '<root>'}: ${i.message}`),
    );
  }
  return file;
}

/** The config without the hot-reloaded fields: what the config-hash annotation covers. */
export function rollingConfig(
  file: ConfigFileInput,
): Omit<ConfigFileInput, (typeof HOT_RELOADED_FIELDS)[number]> {
  const { symbols: _symbols, channels: _channels, ...rest } = file;
  return rest;
}

/** Hash of everything in the config file but the hot-reloaded fields (pod-template annotation). */
export function configHash(file: ConfigFileInput): string {
  return shortHash(rollingConfig(file));
}
