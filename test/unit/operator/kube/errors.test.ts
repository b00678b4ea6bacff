import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiException } from '@kubernetes/client-node';
import { WorkQueue } from '../../../../operator/controller/queue.ts';
import { KubeError, toKubeError } from '../../../../operator/kube/errors.ts';
import { FakeTimers, flush } from '../../../support/fake-timers.ts';

const status = (code: number, message: string) =>
  new ApiException(code, 'Unsuccessful HTTP Request', JSON.stringify({ kind: 'Status', code, message }), {});

describe('KubeError mapping', () => {
  test('maps HTTP statuses to kinds with the server message, and says what may be retried', () => {
    const cases: Array<[number, KubeError['kind'], boolean]> = [
      [404, 'NotFound', false],
      [409, 'Conflict', true],
      [410, 'Gone', true],
      [422, 'Invalid', false],
      [429, 'TooManyRequests', true],
      [403, 'Forbidden', false],
      [500, 'ServerError', true],
      [503, 'ServerError', true],
    ];
    for (const [code, kind, retryable] of cases) {
      const e = toKubeError(status(code, `server says ${code}`), 'apply Deployment ns/x');
      assert.equal(e.kind, kind);
      assert.equal(e.status, code);
      assert.equal(e.retryable, retryable, `${code} retryable`);
      assert.match(e.message, new RegExp(`^apply Deployment ns/x: HTTP ${code}: server says ${code}$`));
    }
  });

  test('Retry-After is kept; network errors and watch errors are mapped too', () => {
    const e = toKubeError(
      new ApiException(429, 'x', '{"message":"slow down"}', { 'Retry-After': '7' }),
      'list pods',
    );
    assert.equal(e.retryAfterSeconds, 7);
    const net = toKubeError(
      Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } }),
      'get x',
    );
    assert.equal(net.kind, 'Network');
    assert.equal(net.retryable, true);
    const watch = toKubeError(Object.assign(new Error('Gone'), { statusCode: 410 }), 'watch pods');
    assert.equal(watch.kind, 'Gone');
  });

  test('the work queue waits at least the server Retry-After before retrying', async () => {
    const timers = new FakeTimers();
    let calls = 0;
    const q = new WorkQueue(
      async () => {
        calls++;
        if (calls === 1) throw new KubeError('TooManyRequests', 429, 'throttled', 5);
        return undefined;
      },
      { timers, backoffBaseMs: 100, backoffMaxMs: 60_000 },
    );
    q.add('ns/a');
    await flush();
    assert.deepEqual(timers.pendingDelays(), [5000]);
    await timers.advance(4999);
    assert.equal(calls, 1);
    await timers.advance(1);
    assert.equal(calls, 2);
  });
});
