/**
 * @platformatic/kafka connection options from a Kafka client config: brokers, timeouts, no
 * automatic topic creation, TLS verified against a CA (system roots otherwise) with an optional
 * client certificate (mutual TLS), SASL (SCRAM-SHA-512/256, PLAIN). Shared by the forwarder's
 * producer and the operator's topic admin, so both connect the same way.
 */
import type { Admin } from '@platformatic/kafka';

export interface PlatformaticClientOptions {
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** PEM of the CA that signs the brokers' certificates (from config.tlsCaFile); system CAs otherwise. */
  caPem?: string;
  /** Mutual TLS: PEM client certificate and its key (from config.tlsCertFile / tlsKeyFile). */
  clientCertPem?: string;
  clientKeyPem?: string;
  /** Backoff of the producer's own retries: initial, doubling up to max (the sink's defaults). */
  retryInitialMs?: number;
  retryMaxMs?: number;
}

type Base = ConstructorParameters<typeof Admin>[0];

/** What the connection options need of a Kafka client config (the forwarder's sink, the operator's admin). */
export interface KafkaConnectionConfig {
  clientId: string;
  brokers: string[];
  securityProtocol: 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
  sasl?:
    | { mechanism: 'SCRAM-SHA-512' | 'SCRAM-SHA-256' | 'PLAIN'; username: string; password: string }
    | undefined;
}

export function platformaticBaseOptions(
  config: KafkaConnectionConfig,
  o: PlatformaticClientOptions = {},
): Base {
  const tls = config.securityProtocol === 'SSL' || config.securityProtocol === 'SASL_SSL';
  const useSasl = config.securityProtocol === 'SASL_PLAINTEXT' || config.securityProtocol === 'SASL_SSL';
  return {
    clientId: config.clientId,
    bootstrapBrokers: config.brokers,
    connectTimeout: o.connectionTimeoutMs ?? 5_000,
    timeout: o.requestTimeoutMs ?? 30_000,
    autocreateTopics: false,
    ...(tls
      ? {
          tls: {
            rejectUnauthorized: true,
            ...(o.caPem ? { ca: [o.caPem] } : {}),
            ...(o.clientCertPem && o.clientKeyPem ? { cert: o.clientCertPem, key: o.clientKeyPem } : {}),
          },
        }
      : {}),
    ...(useSasl && config.sasl
      ? {
          sasl: {
            mechanism: config.sasl.mechanism,
            username: config.sasl.username,
            password: config.sasl.password,
          },
        }
      : {}),
  };
}
