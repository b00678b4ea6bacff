/**
 * Maps a Kafka client error to the readiness contract's error classes (kafka_auth,
 * kafka_metadata, kafka_produce) and a stable snake_case reason code. Pure; looks at error
 * names, protocol error types and socket/TLS codes along the cause chain, never at message text
 * (raw text is only for the warn log). Understands @platformatic/kafka's errors (the production
 * client: `code` PLT_KFK_*, protocol error names in `apiId`, `cause` and AggregateError `errors`
 * chains) and kafkajs's (`name` KafkaJS*, `type`), which bench/kafka still drives. Shared by the
 * forwarder's sink and the operator's topic ensure (operator/topics/).
 */
/** The readiness contract's Kafka error classes. */
export type SinkErrorClass = 'kafka_auth' | 'kafka_metadata' | 'kafka_produce';

/** Where the error happened: connecting/metadata check, or sending records. */
export type KafkaPhase = 'connect' | 'produce';

export interface ClassifiedError {
  errorClass: SinkErrorClass;
  reason: string;
  /** True when the connection should be re-established and topics re-checked before the retry. */
  reconnect: boolean;
  /** kafka_topic_missing: the topics found missing, when the error names them (`missingTopics`). */
  missingTopics?: string[];
}

interface Signals {
  names: Set<string>;
  types: Set<string>;
  codes: Set<string>;
  /** Topic names from a `missingTopics` array anywhere on the chain (valid topic names only). */
  missingTopics: Set<string>;
}

const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

function collect(err: unknown, out: Signals, depth = 0): void {
  if (depth > 8 || err === null || typeof err !== 'object') return;
  const e = err as {
    name?: unknown;
    type?: unknown;
    code?: unknown;
    cause?: unknown;
    originalError?: unknown;
    errors?: unknown;
    apiId?: unknown;
    missingTopics?: unknown;
  };
  if (typeof e.name === 'string') out.names.add(e.name);
  // @platformatic/kafka's error classes all keep the name "Error"; their class names tell them apart.
  const ctor = (err as { constructor?: { name?: unknown } }).constructor?.name;
  if (typeof ctor === 'string' && ctor !== 'Error' && ctor !== 'Object') out.names.add(ctor);
  if (typeof e.type === 'string') out.types.add(e.type);
  if (typeof e.apiId === 'string') out.types.add(e.apiId);
  if (typeof e.code === 'string') out.codes.add(e.code);
  if (Array.isArray(e.missingTopics)) {
    for (const t of e.missingTopics)
      if (typeof t === 'string' && TOPIC_NAME.test(t)) out.missingTopics.add(t);
  }
  collect(e.cause, out, depth + 1);
  collect(e.originalError, out, depth + 1);
  if (Array.isArray(e.errors)) for (const inner of e.errors) collect(inner, out, depth + 1);
}

const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

const SEQUENCE_TYPES = [
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
  'DUPLICATE_SEQUENCE_NUMBER',
];

export function classifyKafkaError(err: unknown, phase: KafkaPhase): ClassifiedError {
  const s: Signals = { names: new Set(), types: new Set(), codes: new Set(), missingTopics: new Set() };
  collect(err, s);
  const has = {
    name: (...n: string[]) => n.some((x) => s.names.has(x)),
    type: (...t: string[]) => t.some((x) => s.types.has(x)),
    code: (...c: string[]) => c.some((x) => s.codes.has(x)),
  };
  const auth = (reason: string): ClassifiedError => ({ errorClass: 'kafka_auth', reason, reconnect: true });
  const meta = (reason: string): ClassifiedError => ({
    errorClass: 'kafka_metadata',
    reason,
    reconnect: true,
  });
  const produce = (reason: string, reconnect = false): ClassifiedError => ({
    errorClass: 'kafka_produce',
    reason,
    reconnect,
  });

  if (has.type('UNSUPPORTED_SASL_MECHANISM', 'ILLEGAL_SASL_STATE'))
    return auth('kafka_sasl_mechanism_rejected');
  if (
    has.name('KafkaJSSASLAuthenticationError') ||
    has.type('SASL_AUTHENTICATION_FAILED') ||
    has.code('PLT_KFK_AUTHENTICATION')
  ) {
    return auth('kafka_sasl_authentication_failed');
  }
  if (has.type('TOPIC_AUTHORIZATION_FAILED')) return auth('kafka_topic_authorization_failed');
  if (has.type('CLUSTER_AUTHORIZATION_FAILED', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED')) {
    return auth('kafka_cluster_authorization_failed');
  }
  if ([...s.codes].some((c) => TLS_CODES.has(c) || c.startsWith('ERR_SSL_') || c.startsWith('ERR_TLS_'))) {
    return meta('kafka_tls_handshake_failed');
  }
  if (
    has.type('UNKNOWN_TOPIC_OR_PARTITION', 'UNKNOWN_TOPIC_ID') ||
    has.name('KafkaJSTopicMetadataNotLoaded')
  ) {
    const missing = meta('kafka_topic_missing');
    return s.missingTopics.size > 0 ? { ...missing, missingTopics: [...s.missingTopics].sort() } : missing;
  }
  if (has.code('ENOTFOUND', 'EAI_AGAIN')) return meta('kafka_broker_dns_failed');
  if (
    has.name('KafkaJSConnectionError', 'KafkaJSConnectionClosedError', 'KafkaJSBrokerNotFound') ||
    has.code('ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ETIMEDOUT')
  ) {
    return meta('kafka_broker_unreachable');
  }
  if (
    has.type(
      'LEADER_NOT_AVAILABLE',
      'NOT_LEADER_OR_FOLLOWER',
      'NOT_LEADER_FOR_PARTITION',
      'BROKER_NOT_AVAILABLE',
    )
  ) {
    return meta('kafka_leader_unavailable');
  }
  if (has.name('KafkaJSMetadataNotLoaded', 'KafkaJSStaleTopicMetadataAssignment'))
    return meta('kafka_metadata_unavailable');
  if (has.type('MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD'))
    return produce('kafka_record_rejected');
  if (has.type('NOT_ENOUGH_REPLICAS', 'NOT_ENOUGH_REPLICAS_AFTER_APPEND'))
    return produce('kafka_not_enough_replicas');
  if (has.type(...SEQUENCE_TYPES)) return produce('kafka_producer_sequence_error', true);
  if (
    has.name('KafkaJSRequestTimeoutError', 'KafkaJSTimeout', 'KafkaJSLockTimeout', 'TimeoutError') ||
    has.type('REQUEST_TIMED_OUT')
  ) {
    return phase === 'connect' ? meta('kafka_metadata_timeout') : produce('kafka_produce_timeout', true);
  }
  return phase === 'connect' ? meta('kafka_metadata_failed') : produce('kafka_produce_failed', true);
}
