import { randomUUID } from 'node:crypto';
import { sql } from '@takt/clickhouse';
import { waitFor, withAdmin } from '@takt/testing';
import type { Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestTenant } from '../../ingest/test/harness.js';
import { type Pipeline, send, startPipeline } from './harness.js';

// Full before images on every sensor partition, old and new (docs/time-range.md): a correction and a
// delete reach the projector with the whole old row, and ClickHouse ends equal to PostgreSQL.
const DAY = 86_400_000;

interface Change {
  op: string;
  before: { ts: string; value: number } | null;
}

describe('projector: updates and deletes of sensor readings carry full before images', () => {
  let p: Pipeline;
  let t: TestTenant;
  let consumer: Consumer;
  const changes: Change[] = [];

  /** SQL as the schema owner, inside the tenant (RLS is forced for the owner too). */
  async function asOwner(text: string, values: unknown[] = []): Promise<void> {
    await withAdmin(p.ingest.db.name, async (c) => {
      await c.query('SET ROLE takt_owner');
      await c.query("SELECT set_config('app.tenant_id', $1, false)", [t.id]);
      await c.query(text, values);
    });
  }

  beforeAll(async () => {
    p = await startPipeline();
    t = await p.ingest.tenant();
    consumer = p.kafka.consumer({ groupId: `${p.prefix}-before-images` });
    await consumer.connect();
    await consumer.subscribe({ topic: `${p.prefix}.public.fact_sensor_reading`, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (message.value) changes.push(JSON.parse(message.value.toString('utf8')) as Change);
      },
    });
    await p.startProjector();
  });
  afterAll(async () => {
    await consumer?.disconnect();
    await p?.close();
  });

  it('a correction and a delete, in an old and in a newly made partition, leave ClickHouse equal', async () => {
    await send(p.ingest, t, 'PUT', '/v1/sites/s1', { name: 'Site', timeZone: 'Europe/Berlin' });
    await send(p.ingest, t, 'PUT', '/v1/lines/L1', { name: 'Line', siteCode: 's1' });
    await send(p.ingest, t, 'PUT', '/v1/equipment/press-01', { name: 'Press', lineCode: 'L1' });
    // Tomorrow's partition made again, as partition maintenance makes one: it must come out FULL.
    const day = new Date(Math.floor(Date.now() / DAY) * DAY + DAY);
    const name = `fact_sensor_reading_p${day.toISOString().slice(0, 10).replaceAll('-', '_')}`;
    await p.ingest.sql(`DROP TABLE ${name}`);
    await p.ingest.sql(
      "SELECT partman.create_partition_time('public.fact_sensor_reading', ARRAY[$1::timestamptz])",
      [day],
    );
    const [made] = await p.ingest.sql<{ relreplident: string }>(
      'SELECT relreplident FROM pg_class WHERE relname = $1',
      [name],
    );
    expect(made?.relreplident).toBe('f');

    const old = Math.floor((Date.now() - 2 * DAY) / 60_000) * 60_000;
    const fresh = day.getTime() + 10 * 3_600_000;
    const reading = (ts: number, value: number) => ({
      equipmentCode: 'press-01',
      tag: 'temp',
      ts: new Date(ts).toISOString(),
      value,
    });
    const post = (records: object[]) =>
      send(p.ingest, t, 'POST', '/v1/sensor-batches', { batchId: randomUUID(), records });
    await post([
      reading(old, 1),
      reading(old + 1_000, 2),
      reading(old + 2_000, 3),
      reading(fresh, 4),
      reading(fresh + 1_000, 5),
    ]);
    // Reached by no API: a reading ClickHouse cannot hold is set aside, and what follows still flows.
    await p.ingest.sql(
      `INSERT INTO fact_sensor_reading (tenant_id, equipment_id, tag, ts, value, batch_id)
       SELECT tenant_id, id, 'temp', '9999-01-01T00:00:00Z', 9, gen_random_uuid() FROM dim_equipment WHERE tenant_id = $1`,
      [t.id],
    );
    // Corrections through the API (a re-post updates the reading), deletes and a moved instant in SQL.
    await post([reading(old, 10), reading(fresh, 40)]);
    await asOwner('DELETE FROM fact_sensor_reading WHERE ts = ANY($1::timestamptz[])', [
      [new Date(old + 1_000), new Date(fresh + 1_000)],
    ]);
    await asOwner(
      "UPDATE fact_sensor_reading SET ts = ts + interval '30 seconds', value = 30 WHERE ts = $1",
      [new Date(old + 2_000)],
    );

    const inPostgres = async () =>
      (
        await p.ingest.sql<{ ts: Date; value: number }>(
          `SELECT ts, value FROM fact_sensor_reading WHERE tenant_id = $1 AND ts < '2106-01-01' ORDER BY ts`,
          [t.id],
        )
      ).map((r) => ({ ts_ms: r.ts.getTime(), value: r.value }));
    const inClickHouse = async () =>
      (
        await p.ch.query<{ ts_ms: string; value: number }>(
          sql`SELECT ts_ms, value FROM sensor_reading_v1 FINAL WHERE tenant_id = ${t.id} AND is_deleted = 0 ORDER BY ts_ms`,
        )
      ).map((r) => ({ ts_ms: Number(r.ts_ms), value: r.value }));
    const expected = await inPostgres();
    expect(expected.map((r) => r.value)).toEqual([10, 30, 40]);
    let stored: unknown;
    await waitFor(
      async () => {
        stored = await inClickHouse();
        return JSON.stringify(stored) === JSON.stringify(expected) ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'sensor_reading_v1 to equal PostgreSQL' },
    ).catch((err: unknown) => {
      expect(stored).toEqual(expected);
      throw err;
    });

    // What Debezium carried: every update and delete has its whole old row, in both partitions.
    const olds = changes.filter((c) => c.op === 'u' || c.op === 'd');
    expect(olds.length).toBeGreaterThanOrEqual(5);
    for (const c of olds) expect(c.before?.value, JSON.stringify(c)).toEqual(expect.any(Number));
    const corrected = olds.filter((c) => c.op === 'u').map((c) => c.before?.value);
    expect(corrected.sort()).toEqual([1, 4]);
  }, 120_000);
});
