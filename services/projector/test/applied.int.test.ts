import { randomUUID } from 'node:crypto';
import { sql } from '@takt/clickhouse';
import { waitFor } from '@takt/testing';
import type { Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestTenant } from '../../ingest/test/harness.js';
import { type Pipeline, send, startPipeline } from './harness.js';
import { at, atMs, seedMasterData } from './scenario.js';

interface Announcement {
  tenantId: string;
  equipmentId: string;
  fromMs: number;
  toMs: number;
  /** What oee_bucket_v1 held for that equipment when the announcement was read. */
  storedPq: number;
}

// Stage 2 announces a recompute only once it is in ClickHouse: a reader that drops its cached buckets
// on the announcement and reads again must find the new rows.
describe('projector: announcements of applied recomputes', () => {
  let p: Pipeline;
  let t: TestTenant;
  let consumer: Consumer;
  const seen: Announcement[] = [];

  beforeAll(async () => {
    p = await startPipeline();
    t = await p.ingest.tenant();
    consumer = p.kafka.consumer({ groupId: `${p.prefix}-applied-reader` });
    await consumer.connect();
    await consumer.subscribe({ topic: p.settings.appliedTopic!, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const mark = JSON.parse(message.value!.toString('utf8')) as Omit<Announcement, 'storedPq'>;
        const [row] = await p.ch.query<{ pq: string }>(
          sql`SELECT sum(pq) AS pq FROM oee_bucket_v1 FINAL
               WHERE tenant_id = ${mark.tenantId} AND equipment_id = ${mark.equipmentId} AND is_deleted = 0`,
        );
        seen.push({ ...mark, storedPq: Number(row?.pq ?? 0) });
      },
    });
    await p.startProjector();
  });
  afterAll(async () => {
    await consumer?.disconnect();
    await p?.close();
  });

  it('names the equipment and buckets it rewrote, after the rows are readable', async () => {
    await seedMasterData(p.ingest, t);
    await send(p.ingest, t, 'POST', '/v1/shifts', {
      batchId: randomUUID(),
      records: [{ id: randomUUID(), lineCode: 'L1', name: 'Early', start: at('06:00'), end: at('14:00') }],
    });
    const [press] = await p.ingest.sql<{ id: string }>(
      "SELECT id FROM dim_equipment WHERE tenant_id = $1 AND code = 'press-01'",
      [t.id],
    );
    // The record below ends at 07:20, so its last instant lies in the 07:15 bucket.
    const bucket = atMs('07:15');
    const covers = (a: Announcement) =>
      a.tenantId === t.id && a.equipmentId === press!.id && a.fromMs <= bucket && a.toMs >= bucket + 900_000;
    // The shift's recompute first, so that the production's own recompute is the next to cover the bucket.
    await waitFor(async () => seen.some(covers), { timeoutMs: 60_000, what: "the shift's announcement" });
    await waitFor(
      async () => {
        const [row] = await p.ch.query<{ pot: string }>(
          sql`SELECT sum(pot_ms) AS pot FROM oee_bucket_v1 FINAL
               WHERE tenant_id = ${t.id} AND equipment_id = ${press!.id} AND is_deleted = 0`,
        );
        return Number(row?.pot ?? 0) === 8 * 3_600_000;
      },
      { timeoutMs: 60_000, what: "the shift's buckets" },
    );
    const before = seen.length;
    await send(p.ingest, t, 'POST', '/v1/production-counts', {
      batchId: randomUUID(),
      records: [
        {
          equipmentCode: 'press-01',
          productCode: 'bracket',
          start: at('07:00'),
          end: at('07:20'),
          total: 40,
          good: 38,
        },
      ],
    });
    const next = await waitFor(async () => seen.slice(before).find(covers), {
      timeoutMs: 60_000,
      what: 'an announcement covering the production bucket',
    });
    expect(next.storedPq).toBe(40);
    // Every announcement is bucket-aligned and well-formed.
    for (const a of seen) {
      expect(a.fromMs % 900_000).toBe(0);
      expect(a.toMs % 900_000).toBe(0);
      expect(a.toMs).toBeGreaterThan(a.fromMs);
    }
  });
});
