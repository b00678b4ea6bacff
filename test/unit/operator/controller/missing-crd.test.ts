import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { ApiException } from '@kubernetes/client-node';
import { pino } from 'pino';
import { isMissingResource, MissingCrdReporter } from '../../../../operator/controller/missing-crd.ts';
import { toKubeError } from '../../../../operator/kube/errors.ts';

const CRD = 'alpacaforwarders.torghut.io';
const apiError = (code: number) => new ApiException(code, 'Unsuccessful HTTP Request', '{}', {});

function capture(): {
  lines: Array<{ level: number; msg: string; crd?: string }>;
  reporter: MissingCrdReporter;
} {
  const lines: Array<{ level: number; msg: string; crd?: string }> = [];
  const stream = new Writable({
    write: (chunk, _e, cb) => {
      lines.push(JSON.parse(String(chunk)));
      cb();
    },
  });
  return { lines, reporter: new MissingCrdReporter(pino({ level: 'debug' }, stream), CRD) };
}

test('a 404 from a list (KubeError) or a watch request (statusCode) is a missing resource; others are not', () => {
  assert.equal(isMissingResource(toKubeError(apiError(404), 'list alpacaforwarders')), true);
  const watch404 = Object.assign(new Error('Not Found'), { statusCode: 404 });
  assert.equal(isMissingResource(watch404), true);
  assert.equal(isMissingResource(toKubeError(apiError(403), 'list alpacaforwarders')), false);
  assert.equal(isMissingResource(Object.assign(new Error('Gone'), { statusCode: 410 })), false);
  assert.equal(isMissingResource(undefined), false);
});

test('says once that the CRD is missing however often the list fails, and once when it is served', () => {
  const { lines, reporter } = capture();
  reporter.served();
  assert.equal(lines.length, 0, 'nothing to say when the CRD was there from the start');
  for (let i = 0; i < 10; i++) reporter.notFound();
  assert.equal(reporter.waiting, true);
  reporter.served();
  reporter.served();
  assert.deepEqual(
    lines.map((l) => [l.level, l.msg, l.crd]),
    [
      [40, `CRD ${CRD} not installed; waiting`, CRD],
      [30, `CRD ${CRD} installed; watching`, CRD],
    ],
  );
  reporter.notFound();
  assert.equal(lines.length, 3, 'a CRD removed later is reported again');
});

test('while waiting, a 429 or 503 (the storage of the new CRD initializing) is absorbed; other errors and later 429s are not', () => {
  const { lines, reporter } = capture();
  const storageInit = toKubeError(apiError(429), 'list alpacaforwarders');
  assert.equal(reporter.absorbs(storageInit), false, 'not waiting: a 429 is an ordinary error');
  assert.equal(reporter.absorbs(toKubeError(apiError(404), 'list alpacaforwarders')), true);
  assert.equal(reporter.absorbs(storageInit), true);
  assert.equal(reporter.absorbs(toKubeError(apiError(503), 'list alpacaforwarders')), true);
  assert.equal(
    reporter.absorbs(toKubeError(apiError(403), 'list alpacaforwarders')),
    false,
    'RBAC errors are logged',
  );
  reporter.served();
  assert.equal(reporter.absorbs(storageInit), false);
  assert.deepEqual(
    lines.filter((l) => l.level >= 30).map((l) => l.msg),
    [`CRD ${CRD} not installed; waiting`, `CRD ${CRD} installed; watching`],
  );
});
