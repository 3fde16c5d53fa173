/**
 * Records real Debezium messages into test/fixtures/: a database cloned from the migrated
 * template, its own connector (initial snapshot on), rows written through SQL, and every
 * message of the run captured as { topic, partition, offset, key, value } with raw text.
 * Run with the local stack up: `pnpm --filter @takt/cdc capture-fixtures`.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { ensureMigratedTemplate } from '@takt/db';
import {
  createTestDatabase,
  pgUrl,
  registerConnector,
  removeConnectorAndSlot,
  stack,
  testKafka,
  topicPrefix,
  waitFor,
  withAdmin,
} from '@takt/testing';
import { TABLES } from '../src/index.js';

interface Captured {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
}

const prefix = topicPrefix();
const connector = `fixtures-${prefix}`;
const slot = prefix;
const template = await ensureMigratedTemplate({ adminUrl: pgUrl('postgres') });
const db = await createTestDatabase({ prefix: 'takt_cdc_fixtures', template: template.name });
const tenant = randomUUID();
const key = randomUUID();
const site = randomUUID();
const line = randomUUID();
const eq = randomUUID();
const product = randomUUID();
const reason = randomUUID();
const batch = randomUUID();
const who = { changed_by: key, request_id: 'req-fixture-1' };
const sql = (text: string, values: unknown[] = []) => withAdmin(db.name, (c) => c.query(text, values));

// Written before the connector starts, so they arrive as snapshot reads (op r).
await sql('INSERT INTO tenant (id, code, name) VALUES ($1, $2, $3)', [tenant, 'acme', 'Acme']);
await sql(
  `INSERT INTO api_key (id, tenant_id, name, key_hash, scopes, changed_by, request_id)
   VALUES ($1, $2, 'admin key', repeat('a', 64), ARRAY['admin','audit'], NULL, NULL)`,
  [key, tenant],
);
await sql(
  `INSERT INTO dim_site (id, tenant_id, code, name, time_zone, attributes, changed_by, request_id, created_at, updated_at)
   VALUES ($1, $2, 'berlin', 'Berlin', 'Europe/Berlin', '{"region":"EU","floors":[1,2]}', $3, $4,
           '2026-03-01T05:00:00.123Z', '2026-03-01T05:00:00.123Z')`,
  [site, tenant, who.changed_by, who.request_id],
);

const kafka = testKafka();
const consumer = kafka.consumer({ groupId: `${prefix}-capture` });
const captured: Captured[] = [];
try {
  await registerConnector(connector, {
    'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
    'plugin.name': 'pgoutput',
    'database.hostname': stack().pgHost,
    'database.port': String(stack().pgPort),
    'database.user': stack().pgSuperuser,
    'database.password': 'unused-with-trust-auth',
    'database.dbname': db.name,
    'topic.prefix': prefix,
    'publication.name': 'takt_publication',
    'publication.autocreate.mode': 'disabled',
    'slot.name': slot,
    'table.include.list': TABLES.map((t) => `public.${t}`).join(','),
    'snapshot.mode': 'initial',
    'heartbeat.interval.ms': '1000',
    'heartbeat.action.query':
      'INSERT INTO public.debezium_heartbeat (id, ts) VALUES (1, now()) ON CONFLICT (id) DO UPDATE SET ts = EXCLUDED.ts',
    'decimal.handling.mode': 'string',
    'time.precision.mode': 'adaptive_time_microseconds',
    'tombstones.on.delete': 'true',
    'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'key.converter.schemas.enable': 'false',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter.schemas.enable': 'false',
    'topic.creation.default.replication.factor': '1',
    'topic.creation.default.partitions': '1',
  });

  await sql(
    `INSERT INTO dim_line (id, tenant_id, code, name, site_id, changed_by, request_id) VALUES ($1, $2, 'L1', 'Line 1', $3, $4, $5)`,
    [line, tenant, site, who.changed_by, who.request_id],
  );
  await sql(
    `INSERT INTO dim_equipment (id, tenant_id, code, name, line_id, attributes, changed_by, request_id)
     VALUES ($1, $2, 'press-01', 'Press 1', $3, '{"vendor":"Acme","ratedSpm":60.5}', $4, $5)`,
    [eq, tenant, line, who.changed_by, who.request_id],
  );
  await sql(
    `UPDATE dim_equipment SET name = 'Press One', updated_at = '2026-03-02T06:07:08.009Z', request_id = 'req-fixture-2' WHERE id = $1`,
    [eq],
  );
  await sql(
    `INSERT INTO dim_product (id, tenant_id, code, name, ideal_cycle_time_s, changed_by, request_id) VALUES ($1, $2, 'bracket', 'Bracket', 30, $3, $4)`,
    [product, tenant, who.changed_by, who.request_id],
  );
  await sql(
    `INSERT INTO dim_downtime_reason (id, tenant_id, code, name, planned, changed_by, request_id) VALUES ($1, $2, 'jam', 'Jam', false, $3, $4)`,
    [reason, tenant, who.changed_by, who.request_id],
  );
  await withAdmin(db.name, async (c) => {
    await c.query('BEGIN');
    await c.query(
      `INSERT INTO ingest_batch (tenant_id, id, kind, record_count, payload_sha256, response, changed_by, request_id)
       VALUES ($1, $2, 'production', 1, repeat('b', 64), $3, $4, 'req-fixture-3')`,
      [tenant, batch, JSON.stringify({ batchId: batch, accepted: 1 }), who.changed_by],
    );
    await c.query(
      `INSERT INTO fact_production (id, tenant_id, equipment_id, product_id, start_at, end_at, total, good, scrap, rework,
         ideal_cycle_time_s, order_id, operator_enc, batch_id, changed_by, request_id)
       VALUES ($1, $2, $3, $4, '2026-03-01T06:00:00Z', '2026-03-01T06:15:00.5Z', 30, 27, 2, 1, 30.25, 'PO-1', 'v1.k1.xyz', $5, $6, 'req-fixture-3')`,
      [randomUUID(), tenant, eq, product, batch, who.changed_by],
    );
    await c.query(
      `INSERT INTO fact_shift (id, tenant_id, line_id, name, start_at, end_at, batch_id, changed_by, request_id)
       VALUES ($1, $2, $3, 'Early', '2026-03-01T05:00:00Z', '2026-03-01T13:00:00Z', $4, $5, 'req-fixture-3')`,
      [randomUUID(), tenant, line, batch, who.changed_by],
    );
    const state = randomUUID();
    await c.query(
      `INSERT INTO fact_equipment_state (id, tenant_id, equipment_id, state, reason_id, start_at, end_at, batch_id, changed_by, request_id)
       VALUES ($1, $2, $3, 'stopped', $4, '2026-03-01T06:00:00Z', NULL, $5, $6, 'req-fixture-3')`,
      [state, tenant, eq, reason, batch, who.changed_by],
    );
    await c.query(`UPDATE fact_equipment_state SET end_at = '2026-03-01T06:30:00Z' WHERE id = $1`, [state]);
    await c.query(
      `INSERT INTO fact_maintenance (id, tenant_id, equipment_id, kind, start_at, end_at, technician_enc, notes, batch_id, changed_by, request_id)
       VALUES ($1, $2, $3, 'corrective', '2026-03-01T07:00:00Z', NULL, 'v1.k1.abc', 'bearing ✓ "noisy"', $4, $5, 'req-fixture-3')`,
      [randomUUID(), tenant, eq, batch, who.changed_by],
    );
    await c.query(
      `INSERT INTO fact_sensor_reading (tenant_id, equipment_id, tag, ts, value, quality, batch_id)
       VALUES ($1, $2, 'temp', now(), 71.25, 'good', $3)`,
      [tenant, eq, batch],
    );
    await c.query('COMMIT');
  });
  // A hard delete is not something the services do, but a tombstone is what Debezium sends then.
  await sql('DELETE FROM dim_downtime_reason WHERE id = $1', [reason]);
  await sql(`UPDATE api_key SET revoked_at = '2026-03-03T00:00:00Z' WHERE id = $1`, [key]);

  await consumer.connect();
  // A pattern subscription sees only topics that exist now: give the heartbeat topics time to appear.
  await waitFor(
    async () => {
      const admin = kafka.admin();
      await admin.connect();
      const names = await admin.listTopics();
      await admin.disconnect();
      return (
        names.includes(`__debezium-heartbeat.${prefix}`) &&
        names.includes(`${prefix}.public.debezium_heartbeat`)
      );
    },
    { timeoutMs: 30_000, what: 'heartbeat topics' },
  );
  await consumer.subscribe({
    topics: [new RegExp(`^(${prefix}\\.|__debezium-heartbeat\\.${prefix}$)`)],
    fromBeginning: true,
  });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      captured.push({
        topic,
        partition,
        offset: message.offset,
        key: message.key?.toString('utf8') ?? null,
        value: message.value?.toString('utf8') ?? null,
      });
    },
  });
  const expected: Record<string, number> = {
    tenant: 1,
    api_key: 2,
    dim_site: 1,
    dim_line: 1,
    dim_equipment: 2,
    dim_product: 1,
    dim_downtime_reason: 3,
    ingest_batch: 1,
    fact_production: 1,
    fact_shift: 1,
    fact_equipment_state: 2,
    fact_maintenance: 1,
    fact_sensor_reading: 1,
    debezium_heartbeat: 1,
  };
  await waitFor(
    () =>
      Object.entries(expected).every(
        ([t, n]) => captured.filter((m) => m.topic === `${prefix}.public.${t}`).length >= n,
      ) && captured.some((m) => m.topic.startsWith('__debezium-heartbeat')),
    { timeoutMs: 60_000, what: 'every expected message' },
  );
} catch (err) {
  const counts: Record<string, number> = {};
  for (const m of captured) counts[m.topic] = (counts[m.topic] ?? 0) + 1;
  console.error('captured so far', counts);
  throw err;
} finally {
  {
    const a = kafka.admin();
    await a.connect();
    console.error((await a.listTopics()).filter((t) => t.includes(prefix)));
    await a.disconnect();
  }
  await consumer.disconnect().catch(() => undefined);
  await removeConnectorAndSlot(connector, slot);
  await db.drop();
  const admin = kafka.admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter(
    (t) => t.startsWith(`${prefix}.`) || t.endsWith(`.${prefix}`),
  );
  if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
}

// Topic names carry the run's prefix; fixtures store them under the production prefix `takt`.
const normalized = captured.map((m) => ({ ...m, topic: m.topic.replace(prefix, 'takt') }));
const out = new URL('../test/fixtures/', import.meta.url);
const byTable = new Map<string, typeof normalized>();
for (const m of normalized) {
  const table = m.topic.startsWith('__debezium-heartbeat')
    ? 'heartbeat'
    : (m.topic.split('.').at(-1) ?? 'unknown');
  byTable.set(table, [...(byTable.get(table) ?? []), m]);
}
for (const [table, messages] of byTable) {
  writeFileSync(new URL(`${table}.json`, out), `${JSON.stringify(messages, null, 2)}\n`);
}
console.log(`captured ${captured.length} messages from ${byTable.size} topics`);
process.exit(0);
