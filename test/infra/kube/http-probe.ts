/** One HTTP(S) GET against a control-plane endpoint, with the TLS material that endpoint needs. */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';

export interface ProbeTls {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  /** For self-signed serving certs of components we only health-check on loopback. */
  insecure?: boolean;
}

export interface ProbeResult {
  status: number;
  body: string;
}

export function httpGet(url: string, tls: ProbeTls = {}, timeoutMs = 5_000): Promise<ProbeResult> {
  const u = new URL(url);
  const options: https.RequestOptions = { method: 'GET', timeout: timeoutMs };
  if (u.protocol === 'https:') {
    if (tls.caFile) options.ca = readFileSync(tls.caFile);
    if (tls.certFile) options.cert = readFileSync(tls.certFile);
    if (tls.keyFile) options.key = readFileSync(tls.keyFile);
    options.rejectUnauthorized = !tls.insecure;
  }
  const lib = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(u, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
