import { Kafka, logLevel } from 'kafkajs';
import { uniqueName } from './names.js';
import { stack } from './stack.js';
import { waitFor } from './wait.js';

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
    // Kafka 4 can answer "does not host this topic-partition" for a moment after creation,
    // even with waitForLeaders: wait until every partition reports a leader.
    await waitFor(
      async () => {
        const { topics: meta } = await admin.fetchTopicMetadata({ topics });
        return meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      },
      { timeoutMs: 30_000, intervalMs: 100, what: `leaders for ${topics.join(', ')}` },
    );
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
