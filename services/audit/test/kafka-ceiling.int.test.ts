import { randomBytes } from 'node:crypto';
import { KAFKA_MESSAGE_MAX_BYTES, kafkaFetchBytes } from '@takt/config';
import { createTopics, deleteTopics, testKafka, topicPrefix, waitFor } from '@takt/testing';
import { ConfigResourceTypes, type Consumer, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * The running broker against the one ceiling of docs/limits.md: a topic created without settings
 * of its own inherits it, a message just under it is stored and fetched whole with the consumers'
 * fetch sizes, and one byte over it is refused. On Kafka's 1 MiB default the first send fails.
 */
describe('the Kafka message ceiling on the running broker', () => {
  const kafka = testKafka();
  const topic = `${topicPrefix()}.ceiling`;
  let producer: Producer;
  let consumer: Consumer | undefined;

  beforeAll(async () => {
    await createTopics(kafka, [topic]);
    producer = kafka.producer({ retry: { retries: 0 } });
    await producer.connect();
  });
  afterAll(async () => {
    await consumer?.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    await deleteTopics(kafka, [topic]).catch(() => undefined);
  });

  it('is what a topic without settings of its own allows', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['max.message.bytes'] }],
      });
      expect(resources[0]?.configEntries[0]?.configValue).toBe(String(KAFKA_MESSAGE_MAX_BYTES));
    } finally {
      await admin.disconnect();
    }
  });

  it('stores a message just under it, and the consumers fetch it whole', async () => {
    // A record batch adds its 61-byte header and a few bytes per record to the value.
    const value = randomBytes(KAFKA_MESSAGE_MAX_BYTES - 256);
    await producer.send({ topic, messages: [{ key: 'k', value }] });
    const received: Buffer[] = [];
    consumer = kafka.consumer({ groupId: `${topic}-reader`, ...kafkaFetchBytes(1, 4) });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (message.value) received.push(message.value);
      },
    });
    await waitFor(async () => received.length > 0, { timeoutMs: 30_000, what: 'the large message' });
    expect(received[0]?.equals(value)).toBe(true);
  });

  it('refuses one byte over it', async () => {
    const value = randomBytes(KAFKA_MESSAGE_MAX_BYTES + 1);
    await expect(producer.send({ topic, messages: [{ value }] })).rejects.toThrow(
      /message larger than the max message size/i,
    );
  });
});
