/** The partitions a failed produce call still had acked, read from @platformatic/kafka's own error shape. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MultipleErrors, ResponseError } from '@platformatic/kafka';
import { ackedPartitionsOf } from '../../../../forwarder/kafka/acked-partitions.ts';
import { classifyKafkaError } from '../../../../lib/kafka/classify.ts';

/** A Produce (api key 0) v11 response as the library decodes it: partition 1 of t refused as too large. */
function tooLargeOnOnePartition(): ResponseError {
  const response = {
    responses: [
      {
        name: 't',
        partitionResponses: [
          { index: 0, errorCode: 0, baseOffset: 10n },
          { index: 1, errorCode: 10, baseOffset: -1n },
          { index: 2, errorCode: 0, baseOffset: 7n },
        ],
      },
      { name: 'u', partitionResponses: [{ index: 0, errorCode: 0, baseOffset: 3n }] },
    ],
    throttleTimeMs: 0,
  };
  return new ResponseError(0, 11, { '/responses/0/partition_responses/1': [10, null] }, response);
}

test('a refused partition beside acked ones: the acked ones are named, also through the retry wrapper', () => {
  const direct = tooLargeOnOnePartition();
  // the producer's retry loop and its per-destination fan-out wrap the response error twice
  const wrapped = new MultipleErrors('Producing messages failed.', [
    new MultipleErrors('produce failed 1 times.', [direct]),
  ]);
  for (const err of [direct, wrapped]) {
    assert.deepEqual(ackedPartitionsOf(err), [
      { topic: 't', partition: 0 },
      { topic: 't', partition: 2 },
      { topic: 'u', partition: 0 },
    ]);
    assert.equal(classifyKafkaError(err, 'produce').reason, 'kafka_record_rejected');
  }
});

test('an error without a produce response acks nothing', () => {
  assert.deepEqual(ackedPartitionsOf(new Error('socket hang up')), []);
  assert.deepEqual(ackedPartitionsOf(undefined), []);
  assert.deepEqual(ackedPartitionsOf({ response: { responses: 'nonsense' } }), []);
});
