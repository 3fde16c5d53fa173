import { ClickHouseError } from '@takt/clickhouse';
import { createMetricsRegistry } from '@takt/http';
import { createLogger } from '@takt/log';
import { createTopics, deleteTopics, testKafka, uniqueName, waitFor } from '@takt/testing';
import type { KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectorError } from '../src/errors.js';
import { createProjectorMetrics } from '../src/metrics.js';
import { createStage, type Stage } from '../src/stage.js';

/**
 * A stage over a real topic with a handler that refuses one message for good, as the mirror does for
 * a row ClickHouse cannot take: that message alone is dead-lettered, its neighbours applied, and the
 * partition moves on. A failure of the surroundings (bad credentials) blocks instead.
 */
describe('a stage dead-letters the message that fails for good, and only that one', () => {
  const kafka = testKafka();
  const topic = uniqueName('stage');
  const logger = createLogger({ service: 'projector', level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const stages: Stage[] = [];

  beforeAll(async () => {
    await createTopics(kafka, [topic], { partitions: 1 });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: Array.from({ length: 20 }, (_, i) => ({
        key: `k${i}`,
        value: i === 13 ? 'poison' : `v${i}`,
      })),
    });
    await producer.disconnect();
  });
  afterAll(async () => {
    for (const s of stages) await s.stop().catch(() => undefined);
    await deleteTopics(kafka, [topic]);
  });

  function start(refuse: (m: KafkaMessage) => Error | undefined) {
    const applied = new Set<string>();
    const dead: { offset: string; key: string; reason: string }[] = [];
    const stage = createStage({
      name: 'mirror',
      kafka,
      groupId: uniqueName('stage-group'),
      topics: [topic],
      fromBeginning: true,
      partitionsConcurrently: 1,
      sessionTimeoutMs: 10_000,
      retry: { minMs: 100, maxMs: 500 },
      logger,
      metrics: createProjectorMetrics(createMetricsRegistry('projector')),
      apply: async ({ messages }) => {
        for (const m of messages) {
          const err = refuse(m);
          if (err) throw err;
        }
        for (const m of messages) applied.add(m.value!.toString());
      },
      deadLetter: async (_topic, _partition, m, reason) => {
        dead.push({ offset: m.offset, key: m.key!.toString(), reason });
      },
    });
    stages.push(stage);
    return { stage, applied, dead };
  }

  it('a data error: the poison message is dead-lettered with its reason, the 19 others applied', async () => {
    const { stage, applied, dead } = start((m) =>
      m.value?.toString() === 'poison'
        ? new ProjectorError(
            'TAKT_PROJECTOR_INVALID_EVENT',
            'timestamp outside what ClickHouse can store',
            false,
          )
        : undefined,
    );
    await stage.start();
    await waitFor(() => applied.size === 19 && dead.length === 1, { timeoutMs: 30_000, what: 'the batch' });
    expect(dead).toEqual([
      {
        offset: '13',
        key: 'k13',
        reason: 'TAKT_PROJECTOR_INVALID_EVENT: timestamp outside what ClickHouse can store',
      },
    ]);
    expect(applied.has('poison')).toBe(false);
    expect(stage.healthy()).toBe(true);
  });

  it('a failure of the surroundings (ClickHouse refusing the credentials) blocks and dead-letters nothing', async () => {
    const { stage, applied, dead } = start(
      () =>
        new ClickHouseError({
          kind: 'server',
          code: 516,
          retriable: false,
          serverMessage: 'Authentication failed',
        }),
    );
    await stage.start();
    await waitFor(() => !stage.healthy(), { timeoutMs: 30_000, what: 'the stage to report itself blocked' });
    expect(dead).toEqual([]);
    expect(applied.size).toBe(0);
  });
});
