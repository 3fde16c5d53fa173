import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestClickHouseDatabase,
  createTestDatabase,
  createTopics,
  debeziumSource,
  deleteTopics,
  registerConnector,
  removeConnectorAndSlot,
  type TestClickHouseDatabase,
  type TestDatabase,
  testKafka,
  topicPrefix,
  waitFor,
  withAdmin,
} from '../src/index.js';

interface Envelope {
  op: 'c' | 'u' | 'd' | 'r';
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  source: { lsn: number; txId: number; ts_ms: number; table: string };
}

// Proves the real chain end to end: a row written to a captured Postgres table arrives as a
// Debezium envelope in Kafka, kafkajs reads it, and it lands in ClickHouse and reads back.
describe('Postgres → Debezium → Kafka → ClickHouse', () => {
  const prefix = topicPrefix();
  const connector = `smoke-${prefix}`;
  const slot = prefix.replaceAll('-', '_');
  const topic = `${prefix}.public.smoke_reading`;
  const kafka = testKafka();
  let db: TestDatabase;
  let ch: TestClickHouseDatabase;

  beforeAll(async () => {
    db = await createTestDatabase({ prefix: 'takt_smoke' });
    await withAdmin(db.name, async (c) => {
      await c.query(`CREATE TABLE smoke_reading (
        id uuid PRIMARY KEY,
        equipment text NOT NULL,
        ts timestamptz NOT NULL,
        value numeric NOT NULL,
        attributes jsonb NOT NULL DEFAULT '{}'
      )`);
      await c.query('ALTER TABLE smoke_reading REPLICA IDENTITY FULL');
      await c.query(
        `CREATE PUBLICATION ${slot}_pub FOR TABLE smoke_reading WITH (publish_via_partition_root = true)`,
      );
    });
    await createTopics(kafka, [topic, `__debezium-heartbeat.${prefix}`]);
    await registerConnector(connector, {
      ...debeziumSource({
        database: db.name,
        topicPrefix: prefix,
        publication: `${slot}_pub`,
        slot,
        tables: ['smoke_reading'],
      }),
      'decimal.handling.mode': 'string',
      'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'key.converter.schemas.enable': 'false',
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'value.converter.schemas.enable': 'false',
    });
    ch = await createTestClickHouseDatabase('takt_smoke');
    await ch.client.command({
      query: `CREATE TABLE smoke_reading (
        id String, equipment String, ts DateTime('UTC'), value Float64, lsn UInt64
      ) ENGINE = ReplacingMergeTree(lsn) ORDER BY id`,
    });
  });

  afterAll(async () => {
    await removeConnectorAndSlot(connector, slot);
    await db?.drop();
    await ch?.drop();
    await deleteTopics(kafka, [topic, `__debezium-heartbeat.${prefix}`]).catch(() => undefined);
  });

  it('carries an insert and an update from the WAL to ClickHouse', async () => {
    const id = '6f0c2d4e-1b7a-4c3e-9a52-0d5e8f7a9b10';
    const consumer = kafka.consumer({ groupId: `${prefix}-smoke` });
    const events: Envelope[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const client: ClickHouseClient = ch.client;
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (!message.value) return; // tombstone
        const env = JSON.parse(message.value.toString()) as Envelope;
        events.push(env);
        const row = env.after;
        if (!row) return;
        await client.insert({
          table: 'smoke_reading',
          format: 'JSONEachRow',
          values: [
            {
              id: row.id,
              equipment: row.equipment,
              ts: Math.floor(Date.parse(String(row.ts)) / 1000),
              value: Number(row.value),
              lsn: env.source.lsn,
            },
          ],
        });
      },
    });

    try {
      await withAdmin(db.name, async (c) => {
        await c.query(
          `INSERT INTO smoke_reading (id, equipment, ts, value, attributes)
           VALUES ($1, 'press-01', '2026-03-29T01:30:00.123+01:00', 42.125, '{"line":"A"}')`,
          [id],
        );
        await c.query('UPDATE smoke_reading SET value = 43.5 WHERE id = $1', [id]);
      });

      await waitFor(() => events.length >= 2, { timeoutMs: 60_000, what: 'two CDC events in Kafka' });
      const [insert, update] = events;
      expect(insert?.op).toBe('c');
      expect(insert?.before).toBeNull();
      expect(insert?.after).toMatchObject({ id, equipment: 'press-01', value: '42.125' });
      expect(Date.parse(String(insert?.after?.ts))).toBe(Date.parse('2026-03-29T00:30:00.123Z'));
      expect(update?.op).toBe('u');
      // REPLICA IDENTITY FULL: the update carries the whole before image.
      expect(update?.before).toMatchObject({ value: '42.125' });
      expect(update?.after).toMatchObject({ value: '43.5' });
      expect(update!.source.lsn).toBeGreaterThan(insert!.source.lsn);

      const rows = await waitFor(
        async () => {
          const rs = await client.query({
            query: `SELECT id, equipment, toUnixTimestamp(ts) AS ts, value FROM smoke_reading FINAL`,
            format: 'JSONEachRow',
          });
          const got = await rs.json<{ id: string; equipment: string; ts: number; value: number }>();
          return got.length === 1 && got[0]?.value === 43.5 ? got : undefined;
        },
        { timeoutMs: 30_000, what: 'the updated row in ClickHouse' },
      );
      expect(rows[0]).toMatchObject({ id, equipment: 'press-01', value: 43.5 });
      expect(Number(rows[0]?.ts)).toBe(Date.parse('2026-03-29T00:30:00Z') / 1000);
    } finally {
      await consumer.disconnect();
    }
  });
});
