import { randomUUID } from 'node:crypto';
import { ident, sql } from '@takt/clickhouse';
import { waitFor } from '@takt/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedPlant, type TestTenant } from '../../ingest/test/harness.js';
import { FACT_KINDS, HOUR, postSameIds, type SameIds } from '../../ingest/test/same-ids.js';
import { BY_EQUIPMENT } from '../src/ddl.js';
import { type Pipeline, startPipeline } from './harness.js';

const HOUR_MS = 3_600_000;
const DAY = Date.parse('2026-11-30T00:00:00Z');

// The same record and batch ids in two tenants, through Postgres → Debezium → Kafka → projector →
// ClickHouse: Kafka keys, mirror rows and OEE buckets stay apart per tenant (docs/identity.md).
describe('projector: the same ids in two tenants', () => {
  let p: Pipeline;
  let a: TestTenant;
  let b: TestTenant;
  let ids: SameIds;
  const hourOf = (t: TestTenant) => (t === a ? HOUR.a : HOUR.b);

  beforeAll(async () => {
    p = await startPipeline();
    a = await p.ingest.tenant();
    b = await p.ingest.tenant();
    await seedPlant(p.ingest, a);
    await seedPlant(p.ingest, b);
    await p.startProjector();
    ids = await postSameIds(p.ingest, a, b);
  });
  afterAll(async () => p?.close());

  it('keys the change events of a fact by tenant and id', async () => {
    const topics = FACT_KINDS.map((k) => `${p.prefix}.public.${k.table}`);
    const keys = new Set<string>();
    const consumer = p.kafka.consumer({ groupId: `${p.prefix}-keys-${randomUUID()}` });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          if (message.key) keys.add(message.key.toString());
        },
      });
      const wanted = FACT_KINDS.flatMap((k) =>
        [a, b].map((t) => JSON.stringify({ tenant_id: t.id, id: ids[k.name].id })),
      );
      await waitFor(() => wanted.every((k) => keys.has(k)), {
        timeoutMs: 45_000,
        what: 'a key per tenant and id',
      }).catch(() => undefined);
      expect([...keys].filter((k) => wanted.includes(k)).sort()).toEqual([...wanted].sort());
    } finally {
      await consumer.disconnect();
    }
  });

  it.each(FACT_KINDS.map((k) => [k.name, k.table]))(
    'mirrors %s as one row per tenant',
    async (name, table) => {
      const id = ids[name as keyof SameIds].id;
      const tables = [`${table}_v1`, BY_EQUIPMENT[`${table}_v1` as keyof typeof BY_EQUIPMENT]].filter(
        (t): t is string => t !== undefined,
      );
      for (const mirror of tables) {
        const rows = await waitFor(
          async () => {
            const got = await p.ch.query<{ tenant_id: string; start_ms: string }>(
              sql`SELECT tenant_id, start_ms FROM ${ident(p.chDb.name, mirror)} FINAL
                 WHERE id = ${id} AND is_deleted = 0 ORDER BY tenant_id`,
            );
            return got.length === 2 ? got : undefined;
          },
          { timeoutMs: 45_000, what: `two rows of ${id} in ${mirror}` },
        );
        expect(rows.map((r) => [r.tenant_id, Number(r.start_ms)])).toEqual(
          [a, b].map((t) => [t.id, DAY + hourOf(t) * HOUR_MS]).sort(),
        );
      }
    },
  );

  it("computes each tenant's OEE from its own facts only", async () => {
    const shiftId = ids.shift.id;
    for (const tenant of [a, b]) {
      const start = DAY + hourOf(tenant) * HOUR_MS;
      // The tenant's shift, state and production all lie in [start, start + 1 h) on press-01.
      const rows = await waitFor(
        async () => {
          const got = await p.ch.query<{ b: string; shift_id: string; pot_ms: string; pq: string }>(
            sql`SELECT toUInt32(bucket_start) * 1000 AS b, shift_id, pot_ms, pq FROM oee_bucket_v1 FINAL
                 WHERE tenant_id = ${tenant.id} AND is_deleted = 0 AND pot_ms > 0
                   AND equipment_id IN (SELECT id FROM dim_equipment_v1 FINAL
                                         WHERE tenant_id = ${tenant.id} AND code = 'press-01')
                 ORDER BY b`,
          );
          const produced = got.reduce((sum, r) => sum + Number(r.pq), 0);
          return got.length === 4 && produced === hourOf(tenant) ? got : undefined;
        },
        { timeoutMs: 60_000, what: `the OEE buckets of tenant ${tenant.code}` },
      );
      expect(rows.map((r) => [Number(r.b), r.shift_id, Number(r.pot_ms)])).toEqual(
        [0, 1, 2, 3].map((q) => [start + q * 900_000, shiftId, 900_000]),
      );
    }
  });
});
