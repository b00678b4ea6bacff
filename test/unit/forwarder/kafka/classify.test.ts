/** Kafka error classification into the readiness contract's classes and stable reasons. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AuthenticationError,
  MultipleErrors,
  NetworkError,
  ProtocolError,
  ResponseError,
  TimeoutError,
} from '@platformatic/kafka';
import { missingTopicsError } from '../../../../forwarder/kafka/platformatic-client.ts';
import { classifyKafkaError } from '../../../../lib/kafka/classify.ts';
import { kafkaError } from '../../../support/kafka-fakes.ts';

const cases: [string, unknown, 'connect' | 'produce', string, string][] = [
  [
    'SASL failure',
    kafkaError('KafkaJSSASLAuthenticationError'),
    'connect',
    'kafka_auth',
    'kafka_sasl_authentication_failed',
  ],
  [
    'SASL failure as protocol type',
    kafkaError('KafkaJSProtocolError', { type: 'SASL_AUTHENTICATION_FAILED' }),
    'produce',
    'kafka_auth',
    'kafka_sasl_authentication_failed',
  ],
  [
    'unsupported mechanism',
    kafkaError('KafkaJSProtocolError', { type: 'UNSUPPORTED_SASL_MECHANISM' }),
    'connect',
    'kafka_auth',
    'kafka_sasl_mechanism_rejected',
  ],
  [
    'topic ACL',
    kafkaError('KafkaJSProtocolError', { type: 'TOPIC_AUTHORIZATION_FAILED' }),
    'produce',
    'kafka_auth',
    'kafka_topic_authorization_failed',
  ],
  [
    'cluster ACL',
    kafkaError('KafkaJSProtocolError', { type: 'CLUSTER_AUTHORIZATION_FAILED' }),
    'connect',
    'kafka_auth',
    'kafka_cluster_authorization_failed',
  ],
  [
    'untrusted cert',
    kafkaError('KafkaJSConnectionError', { code: 'SELF_SIGNED_CERT_IN_CHAIN' }),
    'connect',
    'kafka_metadata',
    'kafka_tls_handshake_failed',
  ],
  [
    'wrong host name',
    kafkaError('KafkaJSConnectionError', { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }),
    'connect',
    'kafka_metadata',
    'kafka_tls_handshake_failed',
  ],
  [
    'missing topic',
    kafkaError('KafkaJSProtocolError', { type: 'UNKNOWN_TOPIC_OR_PARTITION' }),
    'connect',
    'kafka_metadata',
    'kafka_topic_missing',
  ],
  [
    'topic metadata not loaded',
    kafkaError('KafkaJSTopicMetadataNotLoaded'),
    'produce',
    'kafka_metadata',
    'kafka_topic_missing',
  ],
  [
    'refused',
    kafkaError('KafkaJSConnectionError', { code: 'ECONNREFUSED' }),
    'produce',
    'kafka_metadata',
    'kafka_broker_unreachable',
  ],
  [
    'closed',
    kafkaError('KafkaJSConnectionClosedError'),
    'produce',
    'kafka_metadata',
    'kafka_broker_unreachable',
  ],
  [
    'dns',
    kafkaError('KafkaJSConnectionError', { code: 'ENOTFOUND' }),
    'connect',
    'kafka_metadata',
    'kafka_broker_dns_failed',
  ],
  [
    'leader',
    kafkaError('KafkaJSProtocolError', { type: 'NOT_LEADER_OR_FOLLOWER' }),
    'produce',
    'kafka_metadata',
    'kafka_leader_unavailable',
  ],
  [
    'too large',
    kafkaError('KafkaJSProtocolError', { type: 'MESSAGE_TOO_LARGE' }),
    'produce',
    'kafka_produce',
    'kafka_record_rejected',
  ],
  [
    'replicas',
    kafkaError('KafkaJSProtocolError', { type: 'NOT_ENOUGH_REPLICAS' }),
    'produce',
    'kafka_produce',
    'kafka_not_enough_replicas',
  ],
  [
    'sequence',
    kafkaError('KafkaJSProtocolError', { type: 'OUT_OF_ORDER_SEQUENCE_NUMBER' }),
    'produce',
    'kafka_produce',
    'kafka_producer_sequence_error',
  ],
  [
    'produce timeout',
    kafkaError('KafkaJSRequestTimeoutError'),
    'produce',
    'kafka_produce',
    'kafka_produce_timeout',
  ],
  [
    'metadata timeout',
    kafkaError('KafkaJSRequestTimeoutError'),
    'connect',
    'kafka_metadata',
    'kafka_metadata_timeout',
  ],
  ['unknown while producing', new Error('boom'), 'produce', 'kafka_produce', 'kafka_produce_failed'],
  ['unknown while connecting', 'not even an error', 'connect', 'kafka_metadata', 'kafka_metadata_failed'],
];

for (const [name, err, phase, errorClass, reason] of cases) {
  test(`${name} -> ${errorClass} / ${reason}`, () => {
    const c = classifyKafkaError(err, phase);
    assert.equal(c.errorClass, errorClass);
    assert.equal(c.reason, reason);
  });
}

test('the cause chain is searched (retries exceeded wrapping an auth failure, aggregate errors)', () => {
  const wrapped = Object.assign(
    new Error('retries exceeded', { cause: kafkaError('KafkaJSSASLAuthenticationError') }),
    {
      name: 'KafkaJSNumberOfRetriesExceeded',
    },
  );
  assert.equal(classifyKafkaError(wrapped, 'produce').reason, 'kafka_sasl_authentication_failed');
  const agg = {
    name: 'KafkaJSAggregateError',
    errors: [kafkaError('KafkaJSProtocolError', { type: 'UNKNOWN_TOPIC_OR_PARTITION' })],
  };
  assert.equal(classifyKafkaError(agg, 'produce').reason, 'kafka_topic_missing');
  const viaOriginal = {
    name: 'KafkaJSError',
    originalError: kafkaError('KafkaJSConnectionError', { code: 'ECONNREFUSED' }),
  };
  assert.equal(classifyKafkaError(viaOriginal, 'produce').reason, 'kafka_broker_unreachable');
});

test('@platformatic/kafka errors (the production client) map by code, apiId and class along cause and errors chains', () => {
  const connectFailed = (cause: Error) =>
    new MultipleErrors('Cannot connect to any broker.', [
      new NetworkError('Connection to 127.0.0.1:9093 failed.', { cause }),
    ]);
  const sasl = connectFailed(
    new AuthenticationError('SASL authentication failed.', {
      cause: new ResponseError(36, 2, { '/': [58, null] }, {}),
    }),
  );
  assert.deepEqual(classifyKafkaError(sasl, 'connect'), {
    errorClass: 'kafka_auth',
    reason: 'kafka_sasl_authentication_failed',
    reconnect: true,
  });
  const bareAuth = new AuthenticationError('Invalid server signature.');
  assert.equal(classifyKafkaError(bareAuth, 'produce').reason, 'kafka_sasl_authentication_failed');
  const socket = (code: string) => Object.assign(new Error(code), { code });
  const cases: [Error, 'connect' | 'produce', string][] = [
    [connectFailed(socket('ECONNREFUSED')), 'produce', 'kafka_broker_unreachable'],
    [connectFailed(socket('ENOTFOUND')), 'connect', 'kafka_broker_dns_failed'],
    [connectFailed(socket('SELF_SIGNED_CERT_IN_CHAIN')), 'connect', 'kafka_tls_handshake_failed'],
    [connectFailed(socket('ERR_TLS_CERT_ALTNAME_INVALID')), 'connect', 'kafka_tls_handshake_failed'],
    [new ProtocolError('NOT_LEADER_OR_FOLLOWER'), 'produce', 'kafka_leader_unavailable'],
    [new ProtocolError('MESSAGE_TOO_LARGE'), 'produce', 'kafka_record_rejected'],
    [new ProtocolError('OUT_OF_ORDER_SEQUENCE_NUMBER'), 'produce', 'kafka_producer_sequence_error'],
    [new ProtocolError('TOPIC_AUTHORIZATION_FAILED'), 'produce', 'kafka_topic_authorization_failed'],
    [new TimeoutError('Request timed out.'), 'produce', 'kafka_produce_timeout'],
  ];
  for (const [err, phase, reason] of cases) assert.equal(classifyKafkaError(err, phase).reason, reason);
});

test('reasons are snake_case codes, never raw error text', () => {
  for (const [, err, phase] of cases)
    assert.match(classifyKafkaError(err, phase).reason, /^kafka_[a-z0-9_]+$/);
});

test('kafka_topic_missing carries the missing topic names from the error chain (valid names only)', () => {
  const wrapped = new Error('metadata check failed', {
    cause: missingTopicsError(['b.topic', 'a.topic']),
  });
  const c = classifyKafkaError(wrapped, 'connect');
  assert.equal(c.reason, 'kafka_topic_missing');
  assert.deepEqual(c.missingTopics, ['a.topic', 'b.topic']);
  const hostile = Object.assign(new Error('x'), {
    type: 'UNKNOWN_TOPIC_OR_PARTITION',
    missingTopics: ['ok.topic', 'not a topic; secret=1'],
  });
  assert.deepEqual(classifyKafkaError(hostile, 'connect').missingTopics, ['ok.topic']);
  const unnamed = classifyKafkaError(kafkaError('KafkaJSTopicMetadataNotLoaded'), 'produce');
  assert.equal(unnamed.missingTopics, undefined);
});
