/**
 * The Admin client's connection for mode ensure, pure: bootstrapServers, securityProtocol,
 * sasl.mechanism and the tls CA come from spec.kafka (as for the forwarder); the credentials from
 * spec.kafka.topics.adminSecretRef: the SASL user name and password, and for SSL/SASL_SSL an
 * optional client certificate and key (user.crt, user.key: the Strimzi User Operator's keys).
 * The Secret keys to read are listed first (adminSecretKeys), their values given back here.
 */
import type { AlpacaForwarder } from '../api/types.ts';
import type { SecretProblem } from '../status/compute.ts';
import type { AdminConnection } from './admin.ts';

export const CLIENT_CERT_KEY = 'user.crt';
export const CLIENT_KEY_KEY = 'user.key';

export interface SecretKeys {
  secret: string;
  /** Keys that must be present and non-empty. */
  required: string[];
  /** Keys used when present. */
  optional: string[];
}

const usesSasl = (p: string) => p === 'SASL_PLAINTEXT' || p === 'SASL_SSL';
const usesTls = (p: string) => p === 'SSL' || p === 'SASL_SSL';

/** The Secrets and keys the Admin connection needs. */
export function adminSecretKeys(af: AlpacaForwarder): SecretKeys[] {
  const k = af.spec.kafka;
  const out: SecretKeys[] = [];
  const ref = k.topics.adminSecretRef;
  if (ref) {
    out.push({
      secret: ref.name,
      required: usesSasl(k.securityProtocol) ? [ref.usernameKey, ref.passwordKey] : [],
      optional: usesTls(k.securityProtocol) ? [CLIENT_CERT_KEY, CLIENT_KEY_KEY] : [],
    });
  }
  const ca = k.tls?.caSecretRef;
  if (ca && usesTls(k.securityProtocol)) out.push({ secret: ca.name, required: [ca.key], optional: [] });
  return out;
}

export type SecretValues = ReadonlyMap<string, ReadonlyMap<string, Buffer> | undefined>;

/** The connection, or the first missing Secret/key (names only). */
export function adminConnection(
  af: AlpacaForwarder,
  values: SecretValues,
): { ok: true; connection: AdminConnection } | { ok: false; problem: SecretProblem } {
  for (const need of adminSecretKeys(af)) {
    const data = values.get(need.secret);
    if (!data) return { ok: false, problem: { kind: 'secret_not_found', secret: need.secret } };
    for (const key of need.required) {
      if (!data.get(key)?.length)
        return { ok: false, problem: { kind: 'key_missing', secret: need.secret, key } };
    }
  }
  const k = af.spec.kafka;
  const text = (secret: string | undefined, key: string) =>
    secret === undefined ? undefined : values.get(secret)?.get(key)?.toString('utf8');
  const ref = k.topics.adminSecretRef;
  const connection: AdminConnection = {
    brokers: [...k.bootstrapServers],
    clientId: `alpaca-forwarder-operator.${af.metadata.namespace}.${af.metadata.name}`,
    securityProtocol: k.securityProtocol,
  };
  if (usesSasl(k.securityProtocol) && ref) {
    connection.sasl = {
      mechanism: k.sasl?.mechanism ?? 'SCRAM-SHA-512',
      username: (text(ref.name, ref.usernameKey) ?? '').trim(),
      password: text(ref.name, ref.passwordKey) ?? '',
    };
  }
  if (usesTls(k.securityProtocol)) {
    const ca = k.tls?.caSecretRef;
    const caPem = ca ? text(ca.name, ca.key) : undefined;
    if (caPem) connection.caPem = caPem;
    const cert = text(ref?.name, CLIENT_CERT_KEY);
    const key = text(ref?.name, CLIENT_KEY_KEY);
    if (cert && key) {
      connection.clientCertPem = cert;
      connection.clientKeyPem = key;
    }
  }
  return { ok: true, connection };
}
