/**
 * The partitions a failed produce call still had written: the broker answers a Produce request
 * per partition, so one partition refused (e.g. MESSAGE_TOO_LARGE) leaves the others acked.
 * @platformatic/kafka keeps the decoded response on its ResponseError (`response.responses[]`,
 * each `{ name, partitionResponses: [{ index, errorCode }] }`), somewhere on the error's
 * `errors`/`cause` chain; a partition with error code 0 there was acked. Pure; an error without
 * such a response (timeout, connection loss) acks nothing.
 */
export interface AckedPartition {
  topic: string;
  partition: number;
}

interface ResponseLike {
  responses?: unknown;
}

export function ackedPartitionsOf(err: unknown): AckedPartition[] {
  const found = new Map<string, AckedPartition>();
  const visit = (e: unknown, depth: number): void => {
    if (depth > 8 || e === null || typeof e !== 'object') return;
    const o = e as { response?: unknown; errors?: unknown; cause?: unknown };
    const responses = (o.response as ResponseLike | undefined)?.responses;
    if (Array.isArray(responses)) {
      for (const t of responses as { name?: unknown; partitionResponses?: unknown }[]) {
        if (typeof t?.name !== 'string' || !Array.isArray(t.partitionResponses)) continue;
        for (const p of t.partitionResponses as { index?: unknown; errorCode?: unknown }[]) {
          if (typeof p?.index === 'number' && p.errorCode === 0)
            found.set(`${t.name}\u0000${p.index}`, { topic: t.name, partition: p.index });
        }
      }
    }
    if (Array.isArray(o.errors)) for (const inner of o.errors) visit(inner, depth + 1);
    visit(o.cause, depth + 1);
  };
  visit(err, 0);
  return [...found.values()];
}
