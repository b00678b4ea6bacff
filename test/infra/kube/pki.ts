/**
 * Throwaway PKI for one control plane, made with the openssl CLI (as envtest's tinyca does in Go):
 * a CA that signs the API server's serving certificate (SANs 127.0.0.1, localhost) and an admin
 * client certificate in group system:masters, plus the service-account signing key pair. Keys are
 * EC P-256 (fast to generate). Everything lives in the given directory, removed with the plane.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runCommand } from './run-command.ts';

export interface Pki {
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  adminCert: string;
  adminKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
}

export const ADMIN_USER = 'test-admin';
export const ADMIN_GROUP = 'system:masters';

/** openssl x509 -extfile content for a leaf certificate. */
export function leafExtensions(kind: 'server' | 'client', sans: readonly string[] = []): string {
  const lines = [
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature, keyEncipherment',
    `extendedKeyUsage = ${kind === 'server' ? 'serverAuth' : 'clientAuth'}`,
  ];
  if (sans.length > 0) lines.push(`subjectAltName = ${sans.join(', ')}`);
  return `${lines.join('\n')}\n`;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
const DAYS = '7';

async function openssl(dir: string, args: string[]): Promise<void> {
  try {
    await runCommand('openssl', args, { cwd: dir });
  } catch (err) {
    throw new Error(
      `generating the test control plane's certificates in ${dir} failed: ${(err as Error).message}`,
    );
  }
}

async function signedLeaf(dir: string, name: string, subject: string, extensions: string): Promise<void> {
  await openssl(dir, [
    'req',
    '-new',
    ...EC,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    subject,
  ]);
  await writeFile(path.join(dir, `${name}.ext`), extensions);
  await openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-set_serial',
    `0x${randomBytes(16).toString('hex')}`,
    '-days',
    DAYS,
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.crt`,
  ]);
}

export async function generatePki(dir: string): Promise<Pki> {
  await openssl(dir, [
    'req',
    '-x509',
    '-new',
    ...EC,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    DAYS,
    '-subj',
    '/CN=test-control-plane-ca',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
  ]);
  await Promise.all([
    signedLeaf(
      dir,
      'apiserver',
      '/CN=kube-apiserver',
      leafExtensions('server', ['IP:127.0.0.1', 'DNS:localhost']),
    ),
    signedLeaf(dir, 'admin', `/O=${ADMIN_GROUP}/CN=${ADMIN_USER}`, leafExtensions('client')),
    openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'sa.key']),
  ]);
  await openssl(dir, ['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub']);
  const p = (f: string) => path.join(dir, f);
  return {
    caCert: p('ca.crt'),
    caKey: p('ca.key'),
    servingCert: p('apiserver.crt'),
    servingKey: p('apiserver.key'),
    adminCert: p('admin.crt'),
    adminKey: p('admin.key'),
    serviceAccountKey: p('sa.key'),
    serviceAccountPub: p('sa.pub'),
  };
}
