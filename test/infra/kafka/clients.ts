/**
 * kafkajs helpers for tests: a client config for any listener of the test broker, an admin
 * client, topic creation, and reading a topic back from the beginning with a fresh group.
 */
import { randomUUID } from 'node:crypto';
import type { Admin, Kafka, KafkaConfig, SASLOptions } from 'kafkajs';
import kafkajs from 'kafkajs';
import type { SaslMechanism } from './config.ts';
import type { KafkaInfo } from './info.ts';
import { registerLz4 } from './kafkajs-lz4.ts';

export interface ClientOptions {
  clientId?: string;
  mechanism?: SaslMechanism;
  username?: string;
  password?: string;
  logLevel?: number;
  /** Extra kafkajs config merged last (e.g. retry, timeouts). */
  extra?: Partial<KafkaConfig>;
}

function saslFor(info: KafkaInfo, o: ClientOptions): SASLOptions {
  const username = o.username ?? info.user.username;
  const password = o.password ?? info.user.password;
  switch (o.mechanism ?? 'SCRAM-SHA-512') {
    case 'SCRAM-SHA-512':
      return { mechanism: 'scram-sha-512', username, password };
    case 'SCRAM-SHA-256':
      return { mechanism: 'scram-sha-256', username, password };
    case 'PLAIN':
      return { mechanism: 'plain', username, password };
  }
}

/** kafkajs config for a listener: TLS verifies the broker against the test CA (hostname check on). */
export function kafkaJsConfig(info: KafkaInfo, listener = 'PLAINTEXT', o: ClientOptions = {}): KafkaConfig {
  registerLz4();
  const l = info.listener(listener);
  const config: KafkaConfig = {
    clientId: o.clientId ?? `test-${randomUUID().slice(0, 8)}`,
    brokers: [l.broker],
    logLevel: o.logLevel ?? kafkajs.logLevel.NOTHING,
  };
  if (l.securityProtocol === 'SASL_SSL') config.ssl = { ca: [info.caPem], rejectUnauthorized: true };
  if (l.securityProtocol === 'SASL_PLAINTEXT' || l.securityProtocol === 'SASL_SSL')
    config.sasl = saslFor(info, o);
  return { ...config, ...o.extra };
}

export function testKafka(info: KafkaInfo, listener = 'PLAINTEXT', o: ClientOptions = {}): Kafka {
  return new kafkajs.Kafka(kafkaJsConfig(info, listener, o));
}

/** Runs fn with a connected admin client on PLAINTEXT, disconnecting afterwards. */
export async function withAdmin<T>(info: KafkaInfo, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = testKafka(info).admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/** A topic name unique to this test run, so concurrent test files never share topics. */
export function uniqueTopic(prefix = 'test'): string {
  return `${prefix}.${randomUUID().slice(0, 12)}`;
}

/** A topic name, or a topic with a partition count and topic configs (e.g. max.message.bytes). */
export type TopicSpec =
  | string
  | { topic: string; numPartitions?: number; configEntries?: { name: string; value: string }[] };

interface ResolvedTopic {
  topic: string;
  numPartitions: number;
  configEntries?: { name: string; value: string }[];
}

interface KafkaJsErrorLike {
  type?: unknown;
  retriable?: unknown;
  message?: unknown;
  errors?: unknown;
}

/**
 * The errors of a failed CreateTopics that are real failures: TOPIC_ALREADY_EXISTS is success
 * (another attempt or another file created it), also inside kafkajs' aggregate error, which
 * kafkajs itself only forgives when every topic already existed.
 */
function realFailures(err: unknown): KafkaJsErrorLike[] {
  const e = err as KafkaJsErrorLike;
  const all = Array.isArray(e.errors) ? (e.errors as KafkaJsErrorLike[]) : [e];
  return all.filter((x) => x.type !== 'TOPIC_ALREADY_EXISTS');
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The broker offers no event for "created" or "metadata propagated": attempts are polled. */
const POLL_MS = 100;

/** CreateTopics until it succeeds, retrying retriable errors until the deadline. */
async function createUntilDeadline(admin: Admin, specs: ResolvedTopic[], deadline: number): Promise<void> {
  for (;;) {
    try {
      await admin.createTopics({
        waitForLeaders: false,
        topics: specs.map((s) => ({
          topic: s.topic,
          numPartitions: s.numPartitions,
          replicationFactor: 1,
          ...(s.configEntries ? { configEntries: s.configEntries } : {}),
        })),
      });
      return;
    } catch (err) {
      const failures = realFailures(err);
      if (failures.length === 0) return;
      const retriable = failures.every((f) => f.retriable === true);
      const text = failures.map((f) => String(f.message ?? f.type)).join('; ');
      if (!retriable) throw new Error(`createTopics: ${text}`, { cause: err });
      if (Date.now() > deadline) throw new Error(`createTopics: not created before the deadline (${text})`);
    }
    await pause(POLL_MS);
  }
}

/** Why the metadata does not yet show a leader for every partition of every topic, or undefined. */
function notReadyReason(
  md: Awaited<ReturnType<Admin['fetchTopicMetadata']>>,
  specs: ResolvedTopic[],
): string | undefined {
  const reasons: string[] = [];
  for (const s of specs) {
    const t = md.topics.find((x) => x.name === s.topic);
    if (!t) reasons.push(`${s.topic}: not in metadata`);
    else if (t.partitions.length !== s.numPartitions)
      reasons.push(`${s.topic}: ${t.partitions.length} of ${s.numPartitions} partitions`);
    else {
      const leaderless = t.partitions.filter((p) => p.leader < 0 || p.partitionErrorCode !== 0);
      if (leaderless.length > 0)
        reasons.push(
          `${s.topic}: no leader for partition ${leaderless.map((p) => p.partitionId).join(', ')}`,
        );
    }
  }
  return reasons.length > 0 ? reasons.join('; ') : undefined;
}

/** Fetches metadata until every partition of every topic has a leader that serves it, retrying errors. */
async function awaitLeaders(admin: Admin, specs: ResolvedTopic[], deadline: number): Promise<void> {
  let last = 'no metadata yet';
  for (;;) {
    try {
      const reason = notReadyReason(
        await admin.fetchTopicMetadata({ topics: specs.map((s) => s.topic) }),
        specs,
      );
      if (reason === undefined) {
        // The metadata cache can name a leader a moment before that broker serves the partition;
        // ListOffsets is answered by the leader itself, so it proves the partition is hosted.
        for (const s of specs) await admin.fetchTopicOffsets(s.topic);
        return;
      }
      last = reason;
    } catch (err) {
      // "This server does not host this topic-partition" and the like, for a moment after creation.
      last = (err as Error).message;
    }
    if (Date.now() > deadline)
      throw new Error(`createTopics: topics not ready before the deadline (${last})`);
    await pause(POLL_MS);
  }
}

/**
 * Creates the topics (RF 1; a topic that already exists counts as created) and resolves only when
 * the broker's metadata lists a leader for every partition of every topic, so a producer or
 * consumer started right after never sees UNKNOWN_TOPIC_OR_PARTITION. Safe under many
 * concurrent callers: kafkajs' own `waitForLeaders` gives up on the "This server does not host
 * this topic-partition" a busy broker answers for a moment after CreateTopics, so leaders are
 * awaited here by polling metadata (bounded by `timeoutMs` overall).
 */
export async function createTopics(info: KafkaInfo, topics: TopicSpec[], timeoutMs = 60_000): Promise<void> {
  const specs: ResolvedTopic[] = topics.map((t) =>
    typeof t === 'string' ? { topic: t, numPartitions: 1 } : { numPartitions: 1, ...t },
  );
  const deadline = Date.now() + timeoutMs;
  await withAdmin(info, async (admin) => {
    await createUntilDeadline(admin, specs, deadline);
    await awaitLeaders(admin, specs, deadline);
  });
}

export interface ReadRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

export interface ReadOptions {
  /** Stop after this many records; without it, stop at the end offsets taken before reading. */
  count?: number;
  /** Stop once this holds for the records read so far (instead of a count or the end offsets). */
  until?: (records: readonly ReadRecord[]) => boolean;
  timeoutMs?: number;
}

/**
 * Reads a topic from the beginning with a fresh consumer group (read_committed, PLAINTEXT) until
 * `count` records arrived or, without a count, until every partition reached the end offset
 * measured before reading. Rejects with what it got after the timeout.
 */
export async function readTopic(info: KafkaInfo, topic: string, o: ReadOptions = {}): Promise<ReadRecord[]> {
  const timeoutMs = o.timeoutMs ?? 60_000;
  const ends = new Map<number, bigint>();
  if (o.count === undefined && o.until === undefined) {
    const offsets = await withAdmin(info, (admin) => admin.fetchTopicOffsets(topic));
    for (const p of offsets) ends.set(p.partition, BigInt(p.high));
  }
  const reached = new Map<number, bigint>();
  const done = (records: ReadRecord[]): boolean =>
    o.until !== undefined
      ? o.until(records)
      : o.count !== undefined
        ? records.length >= o.count
        : [...ends].every(([p, end]) => end === 0n || (reached.get(p) ?? 0n) >= end);
  const records: ReadRecord[] = [];
  if (done(records)) return records;

  const consumer = testKafka(info).consumer({ groupId: `verify-${randomUUID()}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => {
        reject(
          new Error(
            `readTopic(${topic}): timed out after ${timeoutMs} ms with ${records.length} record(s)` +
              (o.count !== undefined
                ? ` of ${o.count}`
                : ` (end offsets ${JSON.stringify(Object.fromEntries([...ends].map(([p, e]) => [p, e.toString()])))})`),
          ),
        );
      }, timeoutMs);
      consumer
        .run({
          eachMessage: async ({ topic: t, partition, message }) => {
            const headers: Record<string, string> = {};
            for (const [k, v] of Object.entries(message.headers ?? {}))
              if (v !== undefined) headers[k] = v.toString();
            records.push({
              topic: t,
              partition,
              offset: message.offset,
              key: message.key?.toString() ?? null,
              value: message.value?.toString() ?? null,
              headers,
            });
            reached.set(partition, BigInt(message.offset) + 1n);
            if (done(records)) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
  return o.count !== undefined ? records.slice(0, o.count) : records;
}
