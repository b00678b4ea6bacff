/**
 * TLS material for the broker's SASL_SSL listener, made fresh at each start with openssl:
 * a throw-away CA and a server certificate it signs for 127.0.0.1 / localhost, packed with its
 * key into a PKCS12 keystore for the broker. Clients trust ca.pem and keep hostname checking on.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface BrokerTls {
  caFile: string;
  keystoreFile: string;
  keystorePassword: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(
      `openssl ${args[0]} failed while making the broker's TLS material in ${cwd}: ${e.stderr || e.message}`,
    );
  }
}

export async function makeBrokerTls(dir: string): Promise<BrokerTls> {
  const keystorePassword = randomBytes(12).toString('hex');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '7',
      '-subj',
      '/CN=torghut test Kafka CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  await openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'], dir);
  await writeFile(
    join(dir, 'server.ext'),
    [
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      '',
    ].join('\n'),
  );
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.pem',
      '-days',
      '7',
      '-extfile',
      'server.ext',
    ],
    dir,
  );
  await openssl(
    [
      'pkcs12',
      '-export',
      '-in',
      'server.pem',
      '-inkey',
      'server.key',
      '-certfile',
      'ca.pem',
      '-name',
      'broker',
      '-out',
      'broker.p12',
      '-passout',
      `pass:${keystorePassword}`,
    ],
    dir,
  );
  return { caFile: join(dir, 'ca.pem'), keystoreFile: join(dir, 'broker.p12'), keystorePassword };
}
