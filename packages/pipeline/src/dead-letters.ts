import { type DeadLetterOrigin, type DeadLetterSource, deadLetterMessage, deadLetterOrigin } from '@takt/cdc';
import type { Counter } from '@takt/http';
import type { Logger } from '@takt/log';
import type { Kafka, Producer } from 'kafkajs';

/**
 * Where a consumer puts a message it cannot handle, so that it moves on without losing it: the
 * original key and value with their source coordinates and the reason (docs/cdc-health.md).
 */
export interface DeadLetterSink {
  readonly topic: string;
  /** Resolves once every in-sync replica has the dead letter; the caller commits its offset after. */
  send(source: DeadLetterSource, reason: string): Promise<void>;
}

export interface DeadLetterSinkOptions {
  readonly producer: Producer;
  readonly topic: string;
  /** Who dead-lettered it (`audit`, `projector-mirror`…), written into a header. */
  readonly consumer: string;
  /** Counted by source topic: topic names hold no tenant. */
  readonly counter: Counter<'topic'>;
  readonly logger: Logger;
}

export function deadLetterSink(opts: DeadLetterSinkOptions): DeadLetterSink {
  return {
    topic: opts.topic,
    async send(source, reason) {
      await opts.producer.send({
        topic: opts.topic,
        acks: -1,
        messages: [deadLetterMessage(source, reason, opts.consumer)],
      });
      opts.counter.inc({ topic: source.topic });
      opts.logger.warn(
        {
          topic: source.topic,
          partition: source.partition,
          offset: source.offset,
          reason,
          deadLetterTopic: opts.topic,
        },
        'message sent to the dead-letter topic',
      );
    },
  };
}

/** Creates the topics that do not exist yet (one partition: dead letters are rare and read by people). */
export async function createMissingTopics(kafka: Kafka, topics: readonly string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [...new Set(topics)].filter((t) => !existing.has(t));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })),
      });
    }
  } finally {
    await admin.disconnect();
  }
}

/** A dead letter as an operator reads it: where it sits, where it came from and why. */
export interface DeadLetterEntry {
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly origin: DeadLetterOrigin | null;
}

/**
 * The dead letters not yet marked handled (past `group`'s committed offsets), at most `limit`. Reads
 * with a throwaway consumer group, deleted afterwards, so the handled group itself never moves here.
 */
export async function unhandledDeadLetters(
  kafka: Kafka,
  topic: string,
  group: string,
  limit = 100,
): Promise<DeadLetterEntry[]> {
  const admin = kafka.admin();
  await admin.connect();
  const reader = `${group}-reader-${process.pid}-${Date.now()}`;
  try {
    if (!(await admin.listTopics()).includes(topic)) return [];
    const [ends, committed] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      admin.fetchOffsets({ groupId: group, topics: [topic] }),
    ]);
    const from = new Map(committed.flatMap((t) => t.partitions.map((p) => [p.partition, Number(p.offset)])));
    const pending = ends
      .map((e) => ({
        partition: e.partition,
        start: Math.max(Number(e.low), from.get(e.partition) ?? -1),
        end: Number(e.high),
      }))
      .filter((p) => p.start < p.end);
    if (pending.length === 0) return [];
    const out: DeadLetterEntry[] = [];
    const consumer = kafka.consumer({ groupId: reader });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic] });
      const left = new Map(pending.map((p) => [p.partition, p.end]));
      let finished: () => void = () => undefined;
      const done = new Promise<void>((resolve) => {
        finished = resolve;
      });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          const end = left.get(partition);
          if (end === undefined || Number(message.offset) >= end) return;
          if (out.length < limit)
            out.push({
              partition,
              offset: message.offset,
              key: message.key?.toString() ?? null,
              origin: deadLetterOrigin(message.headers),
            });
          if (Number(message.offset) + 1 >= end) left.delete(partition);
          if (left.size === 0 || out.length >= limit) finished();
        },
      });
      for (const p of pending) consumer.seek({ topic, partition: p.partition, offset: String(p.start) });
      // Retention may have removed what the offsets promised: give up rather than wait forever.
      const timeout = setTimeout(finished, 30_000);
      await done;
      clearTimeout(timeout);
    } finally {
      await consumer.disconnect();
    }
    return out;
  } finally {
    await admin.deleteGroups([reader]).catch(() => undefined);
    await admin.disconnect();
  }
}

/** Marks every dead letter up to now as handled: commits `group` at the end of each partition. */
export async function markDeadLettersHandled(kafka: Kafka, topic: string, group: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) return 0;
    const ends = await admin.fetchTopicOffsets(topic);
    await admin.setOffsets({
      groupId: group,
      topic,
      partitions: ends.map((e) => ({ partition: e.partition, offset: e.high })),
    });
    return ends.reduce((n, e) => n + Number(e.high), 0);
  } finally {
    await admin.disconnect();
  }
}
