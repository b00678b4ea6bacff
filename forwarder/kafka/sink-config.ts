/**
 * Validation of KafkaSinkConfig (one error naming every bad field) and its log-safe description
 * (the SASL password never appears). Enumerated fields (security protocol, SASL mechanism, acks,
 * compression) are not checked again: their types admit only valid values, and the forwarder's
 * settings were parsed by the config-file schema. What is checked here are the sink's own
 * invariants (host:port brokers, SASL and TLS against the protocol, sizes, topic names).
 */
import type { KafkaSinkConfig } from './sink.ts';

export class KafkaSinkConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid Kafka sink config: ${problems.join('; ')}`);
    this.name = 'KafkaSinkConfigError';
    this.problems = problems;
  }
}

const int = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n);

export function validateSinkConfig(c: KafkaSinkConfig): void {
  const p: string[] = [];
  if (!Array.isArray(c.brokers) || c.brokers.length === 0)
    p.push('brokers: at least one host:port is required');
  else {
    for (const b of c.brokers) if (!/^[^\s:]+:\d{1,5}$/.test(b)) p.push(`brokers: "${b}" is not host:port`);
  }
  if (typeof c.clientId !== 'string' || c.clientId.trim() === '')
    p.push('clientId: must be a non-empty string');
  const wantsSasl = c.securityProtocol === 'SASL_PLAINTEXT' || c.securityProtocol === 'SASL_SSL';
  if (wantsSasl && !c.sasl) p.push(`sasl: required with securityProtocol ${c.securityProtocol}`);
  if (c.sasl) {
    if (!c.sasl.username) p.push('sasl.username: must be non-empty');
    if (!c.sasl.password) p.push('sasl.password: must be non-empty');
    if (!wantsSasl) p.push(`sasl: given but securityProtocol ${c.securityProtocol} does not use SASL`);
  }
  if (c.tlsCaFile !== undefined && c.securityProtocol !== 'SSL' && c.securityProtocol !== 'SASL_SSL') {
    p.push(`tlsCaFile: given but securityProtocol ${c.securityProtocol} does not use TLS`);
  }
  if ((c.tlsCertFile === undefined) !== (c.tlsKeyFile === undefined)) {
    p.push('tlsCertFile/tlsKeyFile: a client certificate needs its key and the other way round');
  }
  if (c.tlsCertFile !== undefined && c.securityProtocol !== 'SSL' && c.securityProtocol !== 'SASL_SSL') {
    p.push(`tlsCertFile: given but securityProtocol ${c.securityProtocol} does not use TLS`);
  }
  if (!int(c.lingerMs) || c.lingerMs < 0) p.push(`lingerMs: ${String(c.lingerMs)} must be an integer >= 0`);
  if (!int(c.batchBytes) || c.batchBytes <= 0)
    p.push(`batchBytes: ${String(c.batchBytes)} must be an integer > 0`);
  if (!int(c.maxBufferBytes) || c.maxBufferBytes <= 0)
    p.push(`maxBufferBytes: ${String(c.maxBufferBytes)} must be an integer > 0`);
  else if (int(c.batchBytes) && c.maxBufferBytes < c.batchBytes) {
    p.push(`maxBufferBytes: ${c.maxBufferBytes} must be >= batchBytes (${c.batchBytes})`);
  }
  if (!Array.isArray(c.topics) || c.topics.length === 0) p.push('topics: at least one topic is required');
  else
    for (const t of c.topics)
      if (typeof t !== 'string' || !/^[A-Za-z0-9._-]{1,249}$/.test(t))
        p.push(`topics: "${String(t)}" is not a valid topic name`);
  if (p.length > 0) throw new KafkaSinkConfigError(p);
}

/** The config for logs: everything but the password. */
export function describeSinkConfig(c: KafkaSinkConfig): Record<string, unknown> {
  const { sasl, ...rest } = c;
  return {
    ...rest,
    ...(sasl ? { sasl: { mechanism: sasl.mechanism, username: sasl.username, password: '[REDACTED]' } } : {}),
  };
}
