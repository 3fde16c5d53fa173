import { type DeadLetterSource, deadLetterMessage } from '@takt/cdc';
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
