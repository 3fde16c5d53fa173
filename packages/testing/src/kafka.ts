import { Kafka, logLevel } from 'kafkajs';
import { uniqueName } from './names.js';
import { stack } from './stack.js';

export function testKafka(clientId = uniqueName('takt-test')): Kafka {
  return new Kafka({ clientId, brokers: stack().kafkaBrokers, logLevel: logLevel.NOTHING });
}

/** A topic prefix of its own for one test, so topics and consumer groups never collide. */
export function topicPrefix(): string {
  return uniqueName('t');
}

export async function createTopics(
  kafka: Kafka,
  topics: string[],
  opts: { partitions?: number; config?: Record<string, string> } = {},
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((topic) => ({
        topic,
        numPartitions: opts.partitions ?? 1,
        replicationFactor: 1,
        configEntries: Object.entries(opts.config ?? {}).map(([name, value]) => ({ name, value })),
      })),
    });
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTopics(kafka: Kafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const victims = topics.filter((t) => existing.has(t));
    if (victims.length > 0) await admin.deleteTopics({ topics: victims });
  } finally {
    await admin.disconnect();
  }
}
